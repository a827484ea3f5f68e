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
// probabilities summing to 1, or a 4xx JSON error; never a 5xx or a panic.
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
		case w.Code == http.StatusOK:
			var r Response
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || len(r.Probabilities) != Classes {
				t.Fatalf("200 with body %q", w.Body.Bytes())
			}
			var sum float64
			for _, p := range r.Probabilities {
				sum += float64(p)
			}
			if sum < 0.999 || sum > 1.001 || r.Label < 0 || r.Label >= Classes {
				t.Fatalf("200 with label %d and probabilities summing to %v", r.Label, sum)
			}
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
