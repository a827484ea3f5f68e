package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/infer"
)

// numberPNG draws a 7 and a 1 apart, dark on light: a number of two parts.
func numberPNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 260, 160))
	for i := range img.Pix {
		img.Pix[i] = 240
	}
	for x := 30; x < 110; x++ { // the 7's bar
		for y := 30; y < 42; y++ {
			img.SetGray(x, y, color.Gray{20})
		}
	}
	for y := 30; y < 130; y++ { // its stem, and the 1
		for _, x0 := range []int{110 - (y-30)*40/100, 190} {
			for x := x0 - 12; x < x0; x++ {
				img.SetGray(x, y, color.Gray{20})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPredictFlags: every /v1/predict answer carries not_digit and
// unsure, as the configured thresholds give them for its probabilities;
// a blank image (or 784 zeros) is an answer: label -1, not a digit, no
// probabilities.
func TestPredictFlags(t *testing.T) {
	m := testModel(t)
	cs, err := Replicas(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Thresholds that flag everything, so the flags are seen to come
	// from them.
	all := infer.Thresholds{NotDigitBelow: 1, UnsureBelow: 1}
	_, ts := newTestServer(t, cs, Config{Thresholds: &all})
	x := randomPixels(3)
	code, _, b := post(t, ts.URL+"/v1/predict", "application/json", pixelsJSON(x))
	if code != 200 {
		t.Fatalf("POST pixels: %d %s", code, b)
	}
	r := decodeResponse(t, b)
	want := all.Answer(direct(t, m, x))
	if r.Label != want.Label || !r.NotDigit || !r.Unsure || !strings.Contains(string(b), `"not_digit":true`) || !strings.Contains(string(b), `"unsure":true`) {
		t.Errorf("answer %s; want label %d flagged not a digit and unsure", b, want.Label)
	}
	// The defaults: never both flags on a confident answer of its own.
	_, tsDefault := newTestServer(t, mustReplicas(t), Config{})
	_, _, b = post(t, tsDefault.URL+"/v1/predict", "application/json", pixelsJSON(x))
	r = decodeResponse(t, b)
	if d := infer.DefaultThresholds.Answer(r.Probabilities); r.NotDigit != d.NotDigit || r.Unsure != d.Unsure {
		t.Errorf("default thresholds: answer %s; want not_digit %v, unsure %v", b, d.NotDigit, d.Unsure)
	}
	bad := infer.Thresholds{UnsureBelow: 2}
	if _, err := New(mustReplicas(t), Config{Thresholds: &bad}); err == nil {
		t.Errorf("New with a threshold of 2 succeeded; want an error")
	}

	for name, req := range map[string]struct {
		ct   string
		body []byte
	}{
		"blank png": {"image/png", blankPNG(t)},
		"784 zeros": {"application/json", pixelsJSON(make([]float32, Pixels))},
	} {
		code, _, b := post(t, ts.URL+"/v1/predict?pixels=1", req.ct, req.body)
		if code != 200 {
			t.Errorf("%s: status %d %s; want 200 and an answer", name, code, b)
			continue
		}
		var raw map[string]any
		json.Unmarshal(b, &raw)
		r := decodeResponse(t, b)
		if r.Label != infer.BlankLabel || !r.NotDigit || r.Unsure || raw["probabilities"] != nil {
			t.Errorf("%s: answer %s; want label -1, not a digit, not unsure, no probabilities", name, b)
		}
	}
}

// TestPredictNumber: ?number=1 reads the image as a number, through the
// same segmentation and the same model as infer.Model.PredictNumber (same
// number, boxes, labels and probabilities); ?pixels=1 adds each part's
// 28x28; a blank image has no digits; the default answer is unchanged.
func TestPredictNumber(t *testing.T) {
	m := testModel(t)
	cs, err := Replicas(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, cs, Config{})
	model, err := infer.New(m.Replica(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := numberPNG(t)
	want, err := model.PredictNumberBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Digits) != 2 {
		t.Fatalf("the 7 and 1 segment into %d parts; want 2", len(want.Digits))
	}
	for _, q := range []string{"number=1", "number=true&pixels=1"} {
		code, _, b := post(t, ts.URL+"/v1/predict?"+q, "image/png", img)
		if code != 200 {
			t.Fatalf("?%s: %d %s", q, code, b)
		}
		var r NumberResponse
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Number != want.Number || r.Unsure != want.Unsure || r.NotDigit || len(r.Digits) != 2 || !r.Inverted {
			t.Fatalf("?%s: %s; want number %q (unsure %v), two digits, inverted", q, b, want.Number, want.Unsure)
		}
		for i, d := range r.Digits {
			w := want.Digits[i]
			if d.Box != [4]int{w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y} || d.Label != w.Label ||
				!slices.Equal(d.Probabilities, w.Probabilities) || d.NotDigit != w.NotDigit || d.Unsure != w.Unsure {
				t.Errorf("?%s: digit %d = %+v; want %+v at %v", q, i, d, w.Prediction, w.Box)
			}
			if withPixels := strings.Contains(q, "pixels"); withPixels != (len(d.Pixels) == Pixels) ||
				withPixels && !slices.Equal(d.Pixels, w.Digit.Pixels) {
				t.Errorf("?%s: digit %d has %d pixels; want the part's 28x28 only with pixels=1", q, i, len(d.Pixels))
			}
		}
		if r.Digits[0].Box[2] > r.Digits[1].Box[0] {
			t.Errorf("digits not left to right: %v", r.Digits)
		}
	}
	// Without ?number, the answer is one digit's, as before.
	code, _, b := post(t, ts.URL+"/v1/predict", "image/png", img)
	if code != 200 || strings.Contains(string(b), `"number"`) || !strings.Contains(string(b), `"probabilities"`) {
		t.Errorf("without ?number: %d %s; want one digit's answer", code, b)
	}
	code, _, b = post(t, ts.URL+"/v1/predict?number=1", "image/png", blankPNG(t))
	var r NumberResponse
	if err := json.Unmarshal(b, &r); code != 200 || err != nil || r.Number != "" || !r.NotDigit || len(r.Digits) != 0 {
		t.Errorf("?number=1 of a blank image: %d %s; want number \"\", not_digit, no digits", code, b)
	}
}
