package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
)

// testModel is a small convolutional network with random weights: enough
// for the plumbing tests, which compare the server's answers with the
// model's own, not with the truth.
func testModel(t testing.TB) *nn.Sequential {
	t.Helper()
	m, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 4, Kernel: 3, Stride: 2},
		{Kind: "ReLU"},
		{Kind: "Flatten"},
		{Kind: "Dense", Units: 10},
	}}, 42)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// direct runs the model itself on one example.
func direct(t testing.TB, m *nn.Sequential, x []float32) []float32 {
	t.Helper()
	c, err := NewModel(m.Replica())
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Predict(append([]float32(nil), x...), 1)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), p...)
}

func newTestServer(t testing.TB, cs []Classifier, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

func randomPixels(seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 9))
	x := make([]float32, Pixels)
	for i := range x {
		if rng.IntN(4) == 0 {
			x[i] = float32(rng.IntN(256)) / 255
		}
	}
	return x
}

func pixelsJSON(x []float32) []byte {
	b, _ := json.Marshal(map[string]any{"pixels": x})
	return b
}

func post(t testing.TB, url, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func decodeResponse(t testing.TB, b []byte) Response {
	t.Helper()
	var r Response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %q is not JSON: %v", b, err)
	}
	return r
}

func closeTo(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}

// digitPNG draws a thick dark "7" on white paper at 200x200.
func digitPNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 245
	}
	for x := 50; x < 150; x++ {
		for y := 30; y < 44; y++ {
			img.SetGray(x, y, color.Gray{20})
		}
	}
	for y := 30; y < 170; y++ {
		x0 := 150 - (y-30)*60/140
		for x := x0 - 14; x < x0; x++ {
			img.SetGray(x, y, color.Gray{20})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func errorOf(t testing.TB, hdr http.Header, b []byte) string {
	t.Helper()
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error response Content-Type %q; want application/json", ct)
	}
	var e ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
		t.Errorf("error response %q is not {\"error\": \"...\"}", b)
	}
	return e.Error
}
