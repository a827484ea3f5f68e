package nn

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSpecErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"input":[784],"layers":[{"kind":"Dense","units":10}]} x`, "trailing data"},
		{`{"input":[784],"layers":[{"kind":"Dense","units":10,"colour":1}]}`, `unknown field "colour"`},
		{`{"input":[784],"layers":[]}`, "no layers"},
		{`{"input":[],"layers":[{"kind":"ReLU"}]}`, "want 1 to 3 dimensions"},
		{`{"input":[0],"layers":[{"kind":"ReLU"}]}`, "dimensions must be in"},
		{`{"input":[65536,65536],"layers":[{"kind":"ReLU"}]}`, "values per example"},
		{`{"input":[784],"layers":[{"kind":"Dense"}]}`, "layer 0 (Dense): units 0"},
		{`{"input":[784],"layers":[{"kind":"Dense","units":10,"rate":0.5}]}`, `field "rate" does not apply to Dense`},
		{`{"input":[784],"layers":[{"kind":"Dense","units":10,"init":"zeros"}]}`, `init "zeros"`},
		{`{"input":[784],"layers":[{"kind":"Conv2D","filters":4,"kernel":3}]}`, "want (channels, height, width)"},
		{`{"input":[1,28,28],"layers":[{"kind":"Conv2D","filters":4,"kernel":30}]}`, "does not fit"},
		{`{"input":[1,28,28],"layers":[{"kind":"Conv2D","filters":4,"kernel":3,"pad":3}]}`, "pad 3"},
		{`{"input":[1,28,28],"layers":[{"kind":"Conv2D","filters":4,"kernel":3,"stride":-1}]}`, "stride -1"},
		{`{"input":[1,28,28],"layers":[{"kind":"MaxPool2D","kernel":29}]}`, "does not fit"},
		{`{"input":[1,28,28],"layers":[{"kind":"BatchNorm","momentum":2}]}`, "momentum 2"},
		{`{"input":[1,28],"layers":[{"kind":"BatchNorm"}]}`, "want (features) or (channels, height, width)"},
		{`{"input":[10],"layers":[{"kind":"Dropout","rate":1}]}`, "rate 1"},
		{`{"input":[10],"layers":[{"kind":"LeakyReLU","alpha":-1}]}`, "alpha -1"},
		{`{"input":[10],"layers":[{"kind":"Softmax"}]}`, `unknown kind "Softmax"; known kinds: Dense, Conv2D`},
		{`{"input":[8192],"layers":[{"kind":"Dense","units":65536}]}`, "too many weights"},
		{`{"input":[4096],"layers":[{"kind":"Dense","units":65536},{"kind":"Dense","units":1}]}`, "more than 268435456 parameters"},
		{`[1,2]`, "nn: spec:"},
	}
	for _, tc := range tests {
		_, err := ParseSpec([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSpec(%s) = %v; want an error containing %q", tc.json, err, tc.want)
		}
	}
	s, err := ParseSpec(smallCNN.JSON())
	if err != nil || string(s.JSON()) != string(smallCNN.JSON()) {
		t.Errorf("ParseSpec(JSON()) = %s, %v; want a round trip", s.JSON(), err)
	}
}

// FuzzParseSpec: ParseSpec never panics, and a spec it accepts builds (when
// small enough to build in a test) into a model whose shapes match.
func FuzzParseSpec(f *testing.F) {
	f.Add(smallCNN.JSON())
	f.Add([]byte(`{"input":[784],"layers":[{"kind":"Dense","units":128},{"kind":"ReLU"},{"kind":"Dense","units":10}]}`))
	f.Add([]byte(`{"input":[1,28,28],"layers":[{"kind":"Conv2D","filters":4,"kernel":3,"stride":2,"pad":1},{"kind":"MaxPool2D","kernel":3,"stride":1},{"kind":"Flatten"}]}`))
	f.Add([]byte(`{"input":[3],"layers":[{"kind":"LeakyReLU","alpha":0.2},{"kind":"BatchNorm","eps":0.001,"momentum":0.01},{"kind":"GELU"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec(b)
		if err != nil {
			return
		}
		n, err := s.countValues()
		if err != nil {
			t.Fatalf("countValues of a valid spec: %v", err)
		}
		shapes, _ := s.Shapes()
		for _, sh := range shapes {
			if prod(sh) > 1<<16 {
				return // valid but too big to build quickly here
			}
		}
		if n > 1<<20 {
			return
		}
		m, err := Build(s, 1)
		if err != nil {
			t.Fatalf("Build of a valid spec: %v", err)
		}
		var have int
		for _, p := range m.Tensors() {
			have += p.Value.Len()
		}
		if have != n {
			t.Fatalf("built model has %d values; countValues said %d", have, n)
		}
		if got := m.OutputShape(); !slices.Equal(got, shapes[len(shapes)-1]) {
			t.Fatalf("OutputShape %v; Shapes says %v", got, shapes[len(shapes)-1])
		}
	})
}
