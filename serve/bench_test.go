package serve

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkParsePixels measures decoding one {"pixels": [784 numbers]} body.
func BenchmarkParsePixels(b *testing.B) {
	body := pixelsJSON(randomPixels(1))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePixels(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredictHandlerJSON measures one JSON prediction through the
// handler (parsing, queue, model, encoding) with the small test model, one
// request at a time: the fixed cost per request.
func BenchmarkPredictHandlerJSON(b *testing.B) {
	s, err := New(mustReplicas(b), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	body := pixelsJSON(randomPixels(1))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/predict", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkPredictHandlerPNG measures one canvas PNG (280x280) through the
// handler: decoding and preprocessing dominate.
func BenchmarkPredictHandlerPNG(b *testing.B) {
	s, err := New(mustReplicas(b), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	body := digitPNG(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/predict?pixels=1", bytes.NewReader(body))
		req.Header.Set("Content-Type", "image/png")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
