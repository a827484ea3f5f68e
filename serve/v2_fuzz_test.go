package serve

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzV2InferHandler sends arbitrary bodies to POST /v2/models/tiny/infer:
// every answer must be 200 with outputs that fit the input's batch, or a
// 4xx JSON error; never a 5xx or a panic.
func FuzzV2InferHandler(f *testing.F) {
	one, _ := json.Marshal(randomPixels(1))
	f.Add([]byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,784],"data":` + string(one) + `}]}`))
	f.Add([]byte(`{"id":"x","inputs":[{"name":"input","datatype":"FP32","shape":[1,1,28,28],"data":[[[` + strings.Repeat("[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],", 27) + "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]]]]}]," + `"outputs":[{"name":"label"}]}`))
	f.Add([]byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1e30,784],"data":[0]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"input","datatype":"FP32","shape":[2,784],"data":[[0],[1]]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"input","datatype":"INT64","shape":[-1,784],"data":"AAAA"}]}`))
	f.Add([]byte(`{"inputs":[]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))

	s, err := New(mustReplicas(f), Config{ModelName: "tiny", MaxBodyBytes: 1 << 20, MaxInferImages: 16})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v2/models/tiny/infer", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusOK:
			var r struct {
				Outputs []struct {
					Name  string    `json:"name"`
					Shape []int     `json:"shape"`
					Data  []float64 `json:"data"`
				} `json:"outputs"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || len(r.Outputs) == 0 {
				t.Fatalf("200 with body %.200q", w.Body.Bytes())
			}
			for _, o := range r.Outputs {
				n := 1
				for _, d := range o.Shape {
					n *= d
				}
				if len(o.Shape) == 0 || o.Shape[0] < 1 || o.Shape[0] > 16 || n != len(o.Data) {
					t.Fatalf("output %s: shape %v with %d values", o.Name, o.Shape, len(o.Data))
				}
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

// FuzzParseTensorData checks the data parser against encoding/json: for
// valid JSON and a small shape, it accepts exactly the arrays that are
// flat with the shape's count of numbers in float32 range, or nested
// exactly as the shape, and reads the same values.
func FuzzParseTensorData(f *testing.F) {
	f.Add([]byte(`[0,0.5,1,0.25]`), uint8(2), uint8(2), uint8(0))
	f.Add([]byte(`[[0,0.5],[1,0.25]]`), uint8(2), uint8(2), uint8(0))
	f.Add([]byte(`[[[1],[2]]]`), uint8(1), uint8(2), uint8(1))
	f.Add([]byte(`[[0,0.5],[1]]`), uint8(2), uint8(2), uint8(0))
	f.Add([]byte(`[1e39,0]`), uint8(2), uint8(0), uint8(0))
	f.Add([]byte(` [ -0 , 1E-2 ] `), uint8(2), uint8(0), uint8(0))
	f.Add([]byte(`[null,true]`), uint8(2), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, d0, d1, d2 uint8) {
		if !json.Valid(data) {
			return // the request decoder refuses invalid JSON first
		}
		var shape []int
		for _, d := range []uint8{d0, d1, d2} {
			if d == 0 {
				break
			}
			shape = append(shape, int(d%8)+1)
		}
		if len(shape) == 0 {
			shape = []int{1}
		}
		got, err := parseTensorData(data, shape, nil)

		total := 1
		for _, d := range shape {
			total *= d
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("json.Valid but Decode: %v", err)
		}
		want, ok := flatNumbers(v, total)
		if !ok {
			want, ok = nestedNumbers(v, shape)
		}
		if ok != (err == nil) {
			t.Fatalf("parseTensorData(%q, %v) = %v, %v; encoding/json says acceptable = %v", data, shape, got, err, ok)
		}
		if !ok {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("parseTensorData(%q, %v) read %d values; want %d", data, shape, len(got), len(want))
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("value %d: %v; encoding/json reads %v", i, got[i], want[i])
			}
		}
	})
}

// flatNumbers returns v's elements when v is an array of total numbers in
// float32 range.
func flatNumbers(v any, total int) ([]float32, bool) {
	a, ok := v.([]any)
	if !ok || len(a) != total {
		return nil, false
	}
	var out []float32
	for _, e := range a {
		f, ok := number32(e)
		if !ok {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

// nestedNumbers returns v's numbers when v is nested exactly as shape
// (with at least two dimensions; one dimension is the flat case).
func nestedNumbers(v any, shape []int) ([]float32, bool) {
	if len(shape) < 2 {
		return nil, false
	}
	var out []float32
	var walk func(v any, d int) bool
	walk = func(v any, d int) bool {
		if d == len(shape) {
			f, ok := number32(v)
			out = append(out, f)
			return ok
		}
		a, ok := v.([]any)
		if !ok || len(a) != shape[d] {
			return false
		}
		for _, e := range a {
			if !walk(e, d+1) {
				return false
			}
		}
		return true
	}
	return out, walk(v, 0)
}

func number32(v any) (float32, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 32)
	return float32(f), err == nil
}
