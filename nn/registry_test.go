package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// everyKind uses every layer kind and every LayerSpec field.
var everyKind = []Spec{
	{Input: []int{1, 12, 12}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 3, Kernel: 3, Stride: 2, Pad: 1, Init: "glorot"}, {Kind: "BatchNorm", Eps: 1e-3, Momentum: 0.01},
		{Kind: "LeakyReLU", Alpha: 0.2}, {Kind: "MaxPool2D", Kernel: 3, Stride: 1}, {Kind: "GELU"},
		{Kind: "Conv2D", Filters: 2, Kernel: 2}, {Kind: "ReLU"}, {Kind: "MaxPool2D"}, {Kind: "Flatten"},
		{Kind: "Dense", Units: 5, Init: "small"}, {Kind: "Tanh"}, {Kind: "Dropout", Rate: 0.3},
		{Kind: "Dense", Units: 4, Init: "he"}, {Kind: "BatchNorm"}, {Kind: "Sigmoid"}, {Kind: "Dense", Units: 3},
	}},
	smallCNN,
	{Input: []int{6}, Layers: []LayerSpec{{Kind: "Dense", Units: 4}, {Kind: "LeakyReLU"}, {Kind: "Dense", Units: 2}}},
}

// fillWeights overwrites every saved value of m with one that depends only
// on its position, so a file's bytes do not depend on how the initialisers
// round on this CPU.
func fillWeights(m *Sequential) {
	for k, p := range m.Tensors() {
		for j := range p.Value.Data {
			p.Value.Data[j] = float32((j*7+k*13)%101+1) / 101
		}
	}
}

// TestModelFilesUnchanged pins the bytes of saved models of every layer
// kind: the tensor names, their order and shapes and the spec in the
// metadata must not change, or files written before would no longer match
// what this version writes. The hashes were taken before the layer
// registry replaced the switches of spec.go.
func TestModelFilesUnchanged(t *testing.T) {
	want := []string{
		"b762e47b82d522bada2271818a498e1fc3d9a587e8577377dc4f473119b86773",
		"7f161906d73cdfc38e5ea1f2daa2284457d4e2f7719d516bbf68a939d0757de0",
		"15368ddcfd6ccfc4585ea24e87c979732bddabefe0eee50cf1683f7e5ce37c5b",
	}
	for i, s := range everyKind {
		m, err := Build(s, 7)
		if err != nil {
			t.Fatalf("Build(everyKind[%d]): %v", i, err)
		}
		fillWeights(m)
		var b bytes.Buffer
		if err := Encode(&b, m, map[string]string{MetaVersion: "test"}); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b.Bytes())
		if got := hex.EncodeToString(sum[:]); got != want[i] {
			t.Errorf("everyKind[%d]: saved file has SHA-256 %s; want %s", i, got, want[i])
		}
		m2, _, err := Decode(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatalf("Decode(everyKind[%d]): %v", i, err)
		}
		var b2 bytes.Buffer
		if err := Encode(&b2, m2, map[string]string{MetaVersion: "test"}); err != nil || !bytes.Equal(b.Bytes(), b2.Bytes()) {
			t.Errorf("everyKind[%d]: a decoded file encodes to other bytes (%v)", i, err)
		}
	}
}

// TestBuildStreamsUnchanged pins what Build draws: the Glorot-uniform
// weights of a Dense model (Float64 and Sqrt only, so the same bits on
// every CPU) and the state of a model's Dropout generator.
func TestBuildStreamsUnchanged(t *testing.T) {
	m, err := Build(everyKind[2], 7)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%x", sha256.Sum256(b.Bytes())), "4c69f14e3b566204621a7c9bea988e3e36175c1d40dc97e538a767823d099da8"; got != want {
		t.Errorf("Build(everyKind[2], 7) saves to SHA-256 %s; want %s", got, want)
	}
	m, err = Build(everyKind[0], 7)
	if err != nil {
		t.Fatal(err)
	}
	rng, err := m.MarshalRNG()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%x", sha256.Sum256(rng)), "778b9d4f85e459267797a02e6f4de5fff24116ef31e2b3aa28ce00b3bf4f4dfe"; got != want {
		t.Errorf("Build(everyKind[0], 7): Dropout generator state has SHA-256 %s; want %s", got, want)
	}
}

func TestKindsInDocumentationOrder(t *testing.T) {
	want := []string{"Dense", "Conv2D", "MaxPool2D", "BatchNorm", "Dropout", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Flatten"}
	if got := Kinds(); !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v; want %v", got, want)
	}
	k := Kinds()
	k[0] = "changed"
	if Kinds()[0] != "Dense" {
		t.Error("changing the slice Kinds returned changed the registry")
	}
}

// TestRegisteredKinds checks every registration against the layer it
// builds and the fields it declares: a field a kind lists is accepted (no
// "does not apply" error), any other is refused, and the built layer
// reports the registered kind.
func TestRegisteredKinds(t *testing.T) {
	inputs := map[string][]int{"Dense": {6}, "Conv2D": {2, 8, 8}, "MaxPool2D": {2, 8, 8}, "BatchNorm": {2, 8, 8}}
	set := map[string]func(*LayerSpec){
		"units": func(l *LayerSpec) { l.Units = 3 }, "filters": func(l *LayerSpec) { l.Filters = 3 },
		"kernel": func(l *LayerSpec) { l.Kernel = 3 }, "stride": func(l *LayerSpec) { l.Stride = 2 },
		"pad": func(l *LayerSpec) { l.Pad = 1 }, "init": func(l *LayerSpec) { l.Init = "he" },
		"rate": func(l *LayerSpec) { l.Rate = 0.5 }, "alpha": func(l *LayerSpec) { l.Alpha = 0.2 },
		"eps": func(l *LayerSpec) { l.Eps = 1e-3 }, "momentum": func(l *LayerSpec) { l.Momentum = 0.2 },
	}
	if len(set) != len(specFields) {
		t.Fatalf("the test sets %d fields; LayerSpec has %d", len(set), len(specFields))
	}
	base := map[string]LayerSpec{"Dense": {Units: 3}, "Conv2D": {Filters: 3, Kernel: 3}}
	for _, k := range layerKinds {
		in := inputs[k.name]
		if in == nil {
			in = []int{4}
		}
		for _, f := range specFields {
			l := base[k.name]
			l.Kind = k.name
			set[f.name](&l)
			_, _, err := l.check(in)
			refused := err != nil && strings.Contains(err.Error(), "does not apply")
			if applies := slices.Contains(k.fields, f.name); refused == applies {
				t.Errorf("%s with %q set: check = %v; field applies: %v", k.name, f.name, err, applies)
			}
		}
		l := base[k.name]
		l.Kind = k.name
		m, err := Build(Spec{Input: in, Layers: []LayerSpec{l}}, 1)
		if err != nil {
			t.Errorf("Build of a lone %s: %v", k.name, err)
			continue
		}
		if got := m.Layers[0].Kind(); got != k.name {
			t.Errorf("the layer registered as %s reports Kind() = %q", k.name, got)
		}
		if got, want := m.Layers[0].OutShape(in), m.OutputShape(); !slices.Equal(got, want) {
			t.Errorf("%s: the layer's OutShape(%v) = %v; the registered check says %v", k.name, in, got, want)
		}
	}
}

// TestSpecFieldsMatchLayerSpec: every hyperparameter field of LayerSpec is
// in specFields, in declaration order, so none escapes the "does not
// apply" check.
func TestSpecFieldsMatchLayerSpec(t *testing.T) {
	var want []string
	rt := reflect.TypeFor[LayerSpec]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "kind" {
			want = append(want, name)
		}
	}
	var got []string
	for _, f := range specFields {
		got = append(got, f.name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("specFields = %v; LayerSpec's fields are %v", got, want)
	}
}

func TestRegisterLayerRefusesMistakes(t *testing.T) {
	relu := *lookupLayer("ReLU")
	odd := relu
	odd.name, odd.fields = "Odd", []string{"colour"}
	for name, k := range map[string]layerKind{"duplicate": relu, "unknown field": odd, "no build": {name: "X", check: sameShape}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registerLayer(%s) did not panic", name)
				}
			}()
			registerLayer(k)
		}()
	}
	if len(layerKinds) != 11 {
		t.Errorf("%d kinds registered after refused registrations; want 11", len(layerKinds))
	}
}

func TestAbbrev(t *testing.T) {
	tests := []struct {
		l    LayerSpec
		want string
	}{
		{LayerSpec{Kind: "Dense", Units: 128}, "128"},
		{LayerSpec{Kind: "Conv2D", Filters: 16, Kernel: 3}, "conv3x3x16"},
		{LayerSpec{Kind: "MaxPool2D"}, "pool"},
		{LayerSpec{Kind: "BatchNorm"}, "BN"},
		{LayerSpec{Kind: "Dropout", Rate: 0.25}, "drop0.25"},
		{LayerSpec{Kind: "ReLU"}, ""},
		{LayerSpec{Kind: "Flatten"}, ""},
		{LayerSpec{Kind: "Softmax"}, ""},
	}
	for _, tc := range tests {
		if got := tc.l.Abbrev(); got != tc.want {
			t.Errorf("%+v.Abbrev() = %q; want %q", tc.l, got, tc.want)
		}
	}
}

// TestValuesPerExampleCountsScratch: a convolution adds its unfolded input
// and a chunk's output buffer to the outputs.
func TestValuesPerExampleCountsScratch(t *testing.T) {
	m, err := Build(Spec{Input: []int{1, 28, 28}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 4, Kernel: 3, Pad: 1}, {Kind: "MaxPool2D"}, {Kind: "Flatten"}, {Kind: "Dense", Units: 10}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// input 784; conv output 4·28·28 = 3136, im2col 9·1·28·28 = 7056 and
	// chunk output 3136; pool 784; flatten 784; dense 10.
	if got, want := m.ValuesPerExample(), 784+3136+7056+3136+784+784+10; got != want {
		t.Errorf("ValuesPerExample() = %d; want %d", got, want)
	}
}

// TestBuildDefaults: zero fields take the documented defaults.
func TestBuildDefaults(t *testing.T) {
	m, err := Build(Spec{Input: []int{1, 8, 8}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 2, Kernel: 3}, {Kind: "MaxPool2D"}, {Kind: "BatchNorm"}, {Kind: "LeakyReLU"},
	}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, p, b, r := m.Layers[0].(*Conv2D), m.Layers[1].(*MaxPool2D), m.Layers[2].(*BatchNorm), m.Layers[3].(*LeakyReLU)
	if c.Stride != 1 || c.Pad != 0 || p.K != 2 || p.Stride != 2 || b.Eps != 1e-5 || b.Momentum != 0.1 || r.Alpha != 0.01 {
		t.Errorf("defaults: conv stride %d pad %d, pool kernel %d stride %d, batchnorm eps %g momentum %g, leaky alpha %g; want 1, 0, 2, 2, 1e-5, 0.1, 0.01",
			c.Stride, c.Pad, p.K, p.Stride, b.Eps, b.Momentum, r.Alpha)
	}
	// Given values reach the layers.
	g, err := Build(everyKind[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	c, p, b, r = g.Layers[0].(*Conv2D), g.Layers[3].(*MaxPool2D), g.Layers[1].(*BatchNorm), g.Layers[2].(*LeakyReLU)
	d := g.Layers[11].(*Dropout)
	if c.Stride != 2 || c.Pad != 1 || p.K != 3 || p.Stride != 1 || b.Eps != 1e-3 || b.Momentum != 0.01 || r.Alpha != 0.2 || d.Rate != 0.3 {
		t.Errorf("everyKind[0]: conv stride %d pad %d, pool kernel %d stride %d, batchnorm eps %g momentum %g, leaky alpha %g, dropout %g; want the spec's",
			c.Stride, c.Pad, p.K, p.Stride, b.Eps, b.Momentum, r.Alpha, d.Rate)
	}
	// The default initialisers: Glorot for Dense, He for Conv2D.
	for _, tc := range []struct {
		in   []int
		l    LayerSpec
		init string
	}{{[]int{6}, LayerSpec{Kind: "Dense", Units: 4}, "glorot"}, {[]int{1, 8, 8}, LayerSpec{Kind: "Conv2D", Filters: 2, Kernel: 3}, "he"}} {
		def, err1 := Build(Spec{Input: tc.in, Layers: []LayerSpec{tc.l}}, 3)
		tc.l.Init = tc.init
		named, err2 := Build(Spec{Input: tc.in, Layers: []LayerSpec{tc.l}}, 3)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !slices.Equal(def.Params()[0].Value.Data, named.Params()[0].Value.Data) {
			t.Errorf("%s without init: weights differ from init %q", tc.l.Kind, tc.init)
		}
	}
	if k := (LayerSpec{Kind: "MaxPool2D", Kernel: 3}); k.Abbrev() != "pool" {
		t.Errorf("%+v.Abbrev() = %q", k, k.Abbrev())
	}
}
