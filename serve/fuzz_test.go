package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/internal/testbad"
)

// FuzzPredictHandler sends arbitrary content types, query strings and
// bodies to POST /v1/predict: every answer must be 200 with ten
// probabilities summing to 1 (or the blank answer: label -1, not a digit,
// none), in number mode a number whose digits each have that, or a 4xx
// JSON error; never a 5xx or a panic.
func FuzzPredictHandler(f *testing.F) {
	f.Add("application/json", "", pixelsJSON(randomPixels(1)))
	f.Add("application/json", "pixels=1", []byte(`{"pixels":[0.5,1,0]}`))
	f.Add("application/json", "", []byte(`{"pixels":["NaN"]}`))
	f.Add("application/json", "", []byte(`{"pixels":[1e999]}`))
	f.Add("image/png", "pixels=true", digitPNG(f))
	f.Add("image/png", "", testbad.PNGBomb(60000, 60000))
	f.Add("image/gif", "", zeroGIF())
	f.Add("multipart/form-data; boundary=X", "", []byte("--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nxx\r\n--X--\r\n"))
	f.Add("text/plain", "", []byte("hi"))
	f.Add("", "pixels=%zz", []byte{})
	f.Add("image/png", "number=1", digitPNG(f))
	f.Add("image/png", "number=1&pixels=1", blankPNG(f))
	f.Add("application/json", "number=1", pixelsJSON(randomPixels(2)))

	s, err := New(mustReplicas(f), Config{MaxBodyBytes: 1 << 20, Image: imageLimitsForFuzz})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	f.Fuzz(func(t *testing.T, contentType, query string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/predict", bytes.NewReader(body))
		req.URL.RawQuery = query
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("Content-Type %q; want application/json", w.Header().Get("Content-Type"))
		}
		switch {
		case w.Code == http.StatusOK && strings.Contains(w.Body.String(), `"number"`):
			var r NumberResponse
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || len(r.Number) > len(r.Digits) || r.NotDigit != (len(r.Digits) == 0) {
				t.Fatalf("200 with body %q", w.Body.Bytes())
			}
			for _, d := range r.Digits {
				checkAnswer(t, d.Label, d.Probabilities)
			}
		case w.Code == http.StatusOK:
			var r Response
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
				t.Fatalf("200 with body %q", w.Body.Bytes())
			}
			if r.Label == -1 && r.NotDigit && r.Probabilities == nil {
				return // nothing drawn
			}
			checkAnswer(t, r.Label, r.Probabilities)
		case w.Code >= 400 && w.Code < 500:
			var e ErrorResponse
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%d with body %q; want {\"error\": ...}", w.Code, w.Body.Bytes())
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
	})
}

// checkAnswer fails unless probs are ten probabilities summing to 1 and
// label the digit of one of them.
func checkAnswer(t *testing.T, label int, probs []float32) {
	t.Helper()
	var sum float64
	for _, p := range probs {
		sum += float64(p)
	}
	if len(probs) != Classes || sum < 0.999 || sum > 1.001 || label < 0 || label >= Classes {
		t.Fatalf("200 with label %d and %d probabilities summing to %v", label, len(probs), sum)
	}
}

// FuzzParsePixels checks that the fast scanner and encoding/json agree:
// whenever the scanner accepts a body, encoding/json accepts it with the
// same values.
func FuzzParsePixels(f *testing.F) {
	f.Add([]byte(`{"pixels":[0,0.5,1]}`))
	f.Add([]byte(" {\n\"pixels\" : [ 1e-3 , 0.25E+1 , -0 ] }\n"))
	f.Add([]byte(`{"pixels":[]}`))
	f.Add([]byte(`{"pixels":[01]}`))
	f.Add([]byte(`{"pixels":[1.]}`))
	f.Add([]byte(`{"pixels":[1e39]}`))
	f.Add([]byte(`{"pixels":[0x10]}`))
	f.Add([]byte(`{"pixels":[Infinity]}`))
	f.Add(pixelsJSON(randomPixels(2)))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := scanPixels(body, nil)
		if !ok || len(fast) > Pixels {
			return // not scanned, or stopped early at too many values
		}
		var req pixelsRequest
		if err := decodePixelsJSON(body, &req); err != nil {
			t.Fatalf("scanPixels accepted %q but encoding/json says %v", body, err)
		}
		if len(fast) != len(req.Pixels) {
			t.Fatalf("scanPixels read %d values, encoding/json %d", len(fast), len(req.Pixels))
		}
		for i := range fast {
			if fast[i] != req.Pixels[i] && !(fast[i] != fast[i] && req.Pixels[i] != req.Pixels[i]) {
				t.Fatalf("value %d: scanPixels %v, encoding/json %v", i, fast[i], req.Pixels[i])
			}
		}
	})
}
