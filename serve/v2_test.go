package serve

// The client side of these tests is written from the Open Inference
// Protocol's text (KServe docs/predict-api/v2/required_api.md), not from the
// server's types: requests are plain JSON maps, responses are decoded into
// the structs below, and tensor data may come flat or nested.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
)

// oipMetadataTensor is a $metadata_tensor.
type oipMetadataTensor struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// oipModelMetadata is a $metadata_model_response.
type oipModelMetadata struct {
	Name     string              `json:"name"`
	Versions []string            `json:"versions"`
	Platform string              `json:"platform"`
	Inputs   []oipMetadataTensor `json:"inputs"`
	Outputs  []oipMetadataTensor `json:"outputs"`
}

// oipServerMetadata is a $metadata_server_response.
type oipServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// oipResponseOutput is a $response_output.
type oipResponseOutput struct {
	Name     string          `json:"name"`
	Shape    []int64         `json:"shape"`
	Datatype string          `json:"datatype"`
	Data     json.RawMessage `json:"data"`
}

// oipInferResponse is an $inference_response.
type oipInferResponse struct {
	ModelName    string              `json:"model_name"`
	ModelVersion string              `json:"model_version"`
	ID           string              `json:"id"`
	Outputs      []oipResponseOutput `json:"outputs"`
}

// oipError is the $..._error_response every failure carries.
type oipError struct {
	Error string `json:"error"`
}

// oipNumbers flattens tensor data (flat or nested, as the protocol allows)
// into its number tokens, in row-major order.
func oipNumbers(t testing.TB, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("tensor data %.80s: %v", raw, err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case json.Number:
			out = append(out, string(v))
		default:
			t.Fatalf("tensor data element %v (%T) is not a number", v, v)
		}
	}
	walk(v)
	return out
}

func oipFP32(t testing.TB, o oipResponseOutput) []float32 {
	t.Helper()
	var out []float32
	for _, s := range oipNumbers(t, o.Data) {
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			t.Fatalf("output %s: %q is not an FP32: %v", o.Name, s, err)
		}
		out = append(out, float32(f))
	}
	return out
}

func oipINT64(t testing.TB, o oipResponseOutput) []int64 {
	t.Helper()
	var out []int64
	for _, s := range oipNumbers(t, o.Data) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("output %s: %q is not an INT64: %v", o.Name, s, err)
		}
		out = append(out, v)
	}
	return out
}

func oipOutput(t testing.TB, r oipInferResponse, name string) oipResponseOutput {
	t.Helper()
	for _, o := range r.Outputs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("response has no output %q: %+v", name, r.Outputs)
	return oipResponseOutput{}
}

// oipDo sends a request (body: nil, a []byte, or a value to marshal) and
// returns the status, headers and body.
func oipDo(t testing.TB, method, url string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func oipInfer(t testing.TB, url string, req map[string]any) oipInferResponse {
	t.Helper()
	code, _, b := oipDo(t, http.MethodPost, url, req)
	if code != http.StatusOK {
		t.Fatalf("POST %s: %d %s", url, code, b)
	}
	var r oipInferResponse
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("inference response %.200s: %v", b, err)
	}
	return r
}

// mnistTestPixels returns n MNIST test images as pixel/255 and their
// labels, or random images when MNIST is not on this machine.
func mnistTestPixels(t testing.TB, n int) ([]float32, []uint8) {
	t.Helper()
	x := make([]float32, 0, n*Pixels)
	dir, err := mnist.Locate("")
	if err != nil {
		t.Logf("no MNIST (%v): using random images", err)
		for i := range n {
			x = append(x, randomPixels(uint64(i))...)
		}
		return x, nil
	}
	set, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for _, p := range set.Image(i) {
			x = append(x, float32(p)/255)
		}
	}
	return x, set.Labels[:n]
}

// nest2 and nest4 give the protocol's nested representation of [N, 784]
// and [N, 1, 28, 28].
func nest2(x []float32) [][]float32 {
	var out [][]float32
	for i := 0; i < len(x); i += Pixels {
		out = append(out, x[i:i+Pixels])
	}
	return out
}

func nest4(x []float32) [][][][]float32 {
	var out [][][][]float32
	for i := 0; i < len(x); i += Pixels {
		var img [][]float32
		for r := range 28 {
			img = append(img, x[i+r*28:i+r*28+28])
		}
		out = append(out, [][][]float32{img})
	}
	return out
}

// TestV2InferMatchesInProcess sends 200 MNIST test images through
// POST /v2/models/NAME/infer, in every data layout the protocol allows, and
// requires the labels and probabilities, bit for bit, of the in-process
// path (Model.Predict on the same pixels), whose answers /v1/predict gives.
func TestV2InferMatchesInProcess(t *testing.T) {
	const n = 200
	m := testModel(t)
	cs, err := Replicas(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	// MaxBatch 16: a request spans many model calls on two workers, which
	// take a millisecond per call so that requests queue and share batches.
	ex := []*exclusive{{c: cs[0]}, {c: cs[1]}}
	_, ts := newTestServer(t, []Classifier{ex[0], ex[1]}, Config{ModelName: "digits", MaxBatch: 16})
	x, _ := mnistTestPixels(t, n)

	c, err := NewModel(m.Replica())
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Predict(slices.Clone(x), n)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(p)
	wantLabels := make([]int64, n)
	for i := range wantLabels {
		wantLabels[i] = int64(infer.Argmax(want[i*Classes : (i+1)*Classes]))
	}
	if slices.Min(wantLabels) == slices.Max(wantLabels) {
		t.Logf("the random model gives one label to every image; the comparison still holds")
	}
	// One image through /v1 too: the existing API gives the same bits.
	code, _, b := post(t, ts.URL+"/v1/predict", "application/json", pixelsJSON(x[:Pixels]))
	if r := decodeResponse(t, b); code != 200 || !slices.Equal(r.Probabilities, want[:Classes]) {
		t.Fatalf("/v1/predict = %d %s; want %v", code, b, want[:Classes])
	}

	layouts := []struct {
		name  string
		shape []int
		data  any
	}{
		{"flat [N,784]", []int{n, Pixels}, x},
		{"nested [N,784]", []int{n, Pixels}, nest2(x)},
		{"flat [N,1,28,28]", []int{n, 1, 28, 28}, x},
		{"nested [N,1,28,28]", []int{n, 1, 28, 28}, nest4(x)},
	}
	var wg sync.WaitGroup
	for _, l := range layouts {
		// Concurrently, so the requests' chunks share the workers' batches.
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := oipInfer(t, ts.URL+"/v2/models/digits/infer", map[string]any{
				"id":     "batch " + l.name,
				"inputs": []any{map[string]any{"name": "input", "shape": l.shape, "datatype": "FP32", "data": l.data}},
			})
			if r.ModelName != "digits" || r.ID != "batch "+l.name {
				t.Errorf("%s: model_name %q, id %q; want digits and the request's id", l.name, r.ModelName, r.ID)
			}
			probs, labels := oipOutput(t, r, "probabilities"), oipOutput(t, r, "label")
			if probs.Datatype != "FP32" || !slices.Equal(probs.Shape, []int64{n, Classes}) ||
				labels.Datatype != "INT64" || !slices.Equal(labels.Shape, []int64{n}) {
				t.Errorf("%s: outputs %s %v and %s %v; want FP32 [%d 10] and INT64 [%d]", l.name,
					probs.Datatype, probs.Shape, labels.Datatype, labels.Shape, n, n)
			}
			got := oipFP32(t, probs)
			if !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Errorf("%s: probability %d (image %d) = %v; the in-process path gives %v", l.name, i, i/Classes, got[i], want[i])
						break
					}
				}
				t.Errorf("%s: %d probabilities differ from the in-process path's %d", l.name, len(got), len(want))
			}
			if gotLabels := oipINT64(t, labels); !slices.Equal(gotLabels, wantLabels) {
				t.Errorf("%s: labels %v...; the in-process path gives %v...", l.name, gotLabels[:min(10, len(gotLabels))], wantLabels[:10])
			}
		}()
	}
	// And as small requests of 3 images from 8 clients at once, which the
	// workers gather into shared batches.
	const per = 3
	next := make(chan int, n)
	for lo := 0; lo < n; lo += per {
		next <- lo
	}
	close(next)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				k := min(per, n-lo)
				r := oipInfer(t, ts.URL+"/v2/models/digits/infer", map[string]any{
					"inputs": []any{map[string]any{"name": "input", "shape": []int{k, Pixels}, "datatype": "FP32", "data": x[lo*Pixels : (lo+k)*Pixels]}},
				})
				if got := oipFP32(t, oipOutput(t, r, "probabilities")); !slices.Equal(got, want[lo*Classes:(lo+k)*Classes]) {
					t.Errorf("images %d..%d: probabilities %v; the in-process path gives %v", lo, lo+k-1, got, want[lo*Classes:(lo+k)*Classes])
				}
				if got := oipINT64(t, oipOutput(t, r, "label")); !slices.Equal(got, wantLabels[lo:lo+k]) {
					t.Errorf("images %d..%d: labels %v; want %v", lo, lo+k-1, got, wantLabels[lo:lo+k])
				}
			}
		}()
	}
	wg.Wait()
	for i, e := range ex {
		if e.overlap.Load() {
			t.Errorf("worker %d's classifier was called by two goroutines at once", i)
		}
	}
	if m := max(ex[0].maxN.Load(), ex[1].maxN.Load()); m <= per {
		t.Errorf("largest batch %d: the small requests were never batched together, so this test checks less than it should", m)
	}
}

func TestV2OutputsAndID(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{ModelName: "tiny"})
	x := append(randomPixels(1), randomPixels(2)...)
	input := []any{map[string]any{"name": "input", "shape": []int{2, Pixels}, "datatype": "FP32", "data": x}}
	url := ts.URL + "/v2/models/tiny/infer"

	r := oipInfer(t, url, map[string]any{"inputs": input, "outputs": []any{map[string]any{"name": "label"}}})
	if len(r.Outputs) != 1 || r.Outputs[0].Name != "label" || len(oipINT64(t, r.Outputs[0])) != 2 {
		t.Errorf("outputs [label]: got %+v; want only label, 2 values", r.Outputs)
	}
	if r.ID != "" {
		t.Errorf("id %q without one in the request; want none", r.ID)
	}
	r = oipInfer(t, url, map[string]any{"id": "42", "inputs": input, "parameters": map[string]any{"x": 1},
		"outputs": []any{map[string]any{"name": "probabilities"}}})
	if len(r.Outputs) != 1 || r.Outputs[0].Name != "probabilities" || len(oipFP32(t, r.Outputs[0])) != 2*Classes || r.ID != "42" {
		t.Errorf("outputs [probabilities], id 42: got id %q, %+v", r.ID, r.Outputs)
	}
	r = oipInfer(t, url, map[string]any{"inputs": input})
	if len(r.Outputs) != 2 {
		t.Errorf("no outputs field: %d outputs; want both", len(r.Outputs))
	}
}

func TestV2HealthAndMetadata(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{ModelName: "tiny"})
	for _, c := range []struct {
		path string
		code int
	}{
		{"/v2/health/live", 200}, {"/v2/health/ready", 200}, {"/v2/models/tiny/ready", 200},
		{"/v2/models/other/ready", 404}, {"/v2/models/other", 404},
	} {
		code, _, b := oipDo(t, http.MethodGet, ts.URL+c.path, nil)
		if code != c.code {
			t.Errorf("GET %s = %d %s; want %d", c.path, code, b, c.code)
		}
		if code == 200 && len(b) != 0 {
			t.Errorf("GET %s body %q; the protocol wants an empty body", c.path, b)
		}
		if code == 404 {
			var e oipError
			if json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, `unknown model "other"`) {
				t.Errorf("GET %s = %s; want {\"error\": \"unknown model ...\"}", c.path, b)
			}
		}
	}

	code, _, b := oipDo(t, http.MethodGet, ts.URL+"/v2", nil)
	var sm oipServerMetadata
	if err := json.Unmarshal(b, &sm); code != 200 || err != nil || sm.Name != "rakam" || sm.Version == "" || sm.Extensions == nil {
		t.Errorf("GET /v2 = %d %s; want name rakam, a version and an extensions list", code, b)
	}

	code, _, b = oipDo(t, http.MethodGet, ts.URL+"/v2/models/tiny", nil)
	var mm oipModelMetadata
	if err := json.Unmarshal(b, &mm); code != 200 || err != nil {
		t.Fatalf("GET /v2/models/tiny = %d %s", code, b)
	}
	wantIn := []oipMetadataTensor{{"input", "FP32", []int64{-1, 784}}}
	wantOut := []oipMetadataTensor{{"probabilities", "FP32", []int64{-1, 10}}, {"label", "INT64", []int64{-1}}}
	if mm.Name != "tiny" || mm.Platform == "" || fmt.Sprint(mm.Inputs) != fmt.Sprint(wantIn) || fmt.Sprint(mm.Outputs) != fmt.Sprint(wantOut) {
		t.Errorf("model metadata %+v; want name tiny, a platform, inputs %v, outputs %v", mm, wantIn, wantOut)
	}
}

func TestV2HostileRequests(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{ModelName: "tiny", MaxBodyBytes: 64 << 10, MaxInferImages: 8})
	url := ts.URL + "/v2/models/tiny/infer"
	good := randomPixels(1)
	in := func(kv ...any) map[string]any {
		m := map[string]any{"name": "input", "shape": []int{1, Pixels}, "datatype": "FP32", "data": good}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return map[string]any{"inputs": []any{m}}
	}
	with := func(i int, v any) []any {
		d := make([]any, len(good))
		for k, p := range good {
			d[k] = p
		}
		d[i] = v
		return d
	}
	raw := func(s string) []byte { return []byte(s) }
	goodJSON, _ := json.Marshal(good)
	var big []float32 // 30 images, about 100 KB as JSON: the size is refused before the shape is read
	for range 30 {
		big = append(big, good...)
	}

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		code   int
		msg    string
	}{
		{"huge batch", "", "", in("shape", []int64{1 << 40, Pixels}), 400, "want 1..8 per request"},
		{"overflowing shape", "", "", raw(`{"inputs":[{"name":"input","shape":[1e30,784],"datatype":"FP32","data":[0]}]}`), 400, "shape"},
		{"negative batch", "", "", in("shape", []int{-1, Pixels}), 400, "want 1..8"},
		{"zero batch", "", "", in("shape", []int{0, Pixels}), 400, "want 1..8"},
		{"wrong width", "", "", in("shape", []int{1, 783}), 400, "want [N, 784] or [N, 1, 28, 28]"},
		{"too many dimensions", "", "", in("shape", []int{1, 1, 1, 28, 28}), 400, "want [N, 784]"},
		{"no shape", "", "", in("shape", nil), 400, "shape []"},
		{"data too short", "", "", in("shape", []int{2, Pixels}), 400, `"data" has 784 values; the shape [2 784] needs 1568`},
		{"data too long", "", "", in("data", append(slices.Clone(good), 0)), 400, "more than 784 values"},
		{"NaN string", "", "", in("data", with(5, "NaN")), 400, `data[5] = "NaN" is not a number`},
		{"NaN literal", "", "", raw(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[NaN]}]}`), 400, "invalid JSON"},
		{"null pixel", "", "", in("data", with(3, nil)), 400, "data[3] = null is not a number"},
		{"bool pixel", "", "", in("data", with(7, true)), 400, "data[7] = true is not a number"},
		{"pixel above 1", "", "", in("data", with(9, 1.5)), 400, "value 9 (image 0, pixel 9) = 1.5 is outside 0..1"},
		{"pixel negative", "", "", in("data", with(0, -0.25)), 400, "outside 0..1"},
		{"out of FP32 range", "", "", in("data", with(2, json.Number("1e39"))), 400, "data[2] = 1e39 is out of the range of FP32"},
		{"wrong datatype", "", "", in("datatype", "INT32"), 400, `datatype "INT32"; want "FP32"`},
		{"lower-case datatype", "", "", in("datatype", "fp32"), 400, `datatype "fp32"`},
		{"wrong input name", "", "", in("name", "pixels"), 400, `unknown input "pixels"`},
		{"no data", "", "", in("data", nil), 400, `missing "data"`},
		{"data null", "", "", raw(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":null}]}`), 400, "must be a JSON array"},
		{"data string", "", "", in("data", "AAAA"), 400, "must be a JSON array"},
		{"ragged nested", "", "", in("data", [][]float32{good[:783]}), 400, "data[0] has 783 elements; the shape [1 784] needs 784"},
		{"nested too deep", "", "", in("data", [][][]float32{{good}}), 400, "data[0][0]"},
		{"nested wrong count", "", "", in("shape", []int{2, Pixels}, "data", [][]float32{good}), 400, "data has 1 elements"},
		{"mixed nesting", "", "", raw(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[[0],0]}]}`), 400, "data"},
		{"empty data", "", "", in("data", []float32{}), 400, `"data" is empty`},
		{"two inputs", "", "", map[string]any{"inputs": []any{in()["inputs"].([]any)[0], in()["inputs"].([]any)[0]}}, 400, "2 inputs; the model takes one"},
		{"no inputs", "", "", map[string]any{"inputs": []any{}}, 400, `"inputs" is missing or empty`},
		{"inputs missing", "", "", map[string]any{"id": "1"}, 400, `"inputs" is missing`},
		{"unknown output", "", "", map[string]any{"inputs": in()["inputs"], "outputs": []any{map[string]any{"name": "logits"}}}, 400, `unknown output "logits"`},
		{"empty outputs", "", "", map[string]any{"inputs": in()["inputs"], "outputs": []any{}}, 400, `"outputs" is an empty list`},
		{"unknown field", "", "", map[string]any{"inputs": in()["inputs"], "input": 1}, 400, `unknown field "input"`},
		{"numeric id", "", "", map[string]any{"inputs": in()["inputs"], "id": 42}, 400, "id"},
		{"trailing data", "", "", raw(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":` + string(goodJSON) + `}]} {}`), 400, "more data after"},
		{"truncated body", "", "", raw(`{"inputs":[{"name":"input","shape":[1,784]`), 400, "ends part-way"},
		{"not JSON", "", "", raw(`pixels please`), 400, "invalid JSON"},
		{"empty body", "", "", raw(``), 400, "empty request body"},
		{"body too large", "", "", in("shape", []int{30, Pixels}, "data", big), 413, "larger than the limit of 65536 bytes"},
		{"other model", "", "/v2/models/other/infer", in(), 404, `unknown model "other"`},
		{"GET infer", http.MethodGet, "", nil, 405, "method GET not allowed"},
		{"versions", http.MethodPost, "/v2/models/tiny/versions/1/infer", in(), 404, "versions are not supported"},
		{"unknown v2 path", http.MethodGet, "/v2/repository/index", nil, 404, "no such path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, path := c.method, c.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/v2/models/tiny/infer"
			}
			code, hdr, b := oipDo(t, method, ts.URL+path, c.body)
			var e oipError
			if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s: %d %q; want a JSON {\"error\": ...}", method, path, code, b)
			}
			if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q; want application/json", hdr.Get("Content-Type"))
			}
			if code != c.code || !strings.Contains(e.Error, c.msg) {
				t.Errorf("%s %s = %d %q; want %d and %q", method, path, code, e.Error, c.code, c.msg)
			}
		})
	}
	// The server still answers after all that.
	r := oipInfer(t, url, in())
	if len(oipFP32(t, oipOutput(t, r, "probabilities"))) != Classes {
		t.Errorf("a good request after the hostile ones: %+v", r)
	}
}

// TestV2BatchLimitFollowsQueue: a request is queued as jobs of MaxBatch
// images, so the most images per request is also bounded by what the
// queue can hold; more is a 400 naming the limit, not a 429 forever.
func TestV2BatchLimitFollowsQueue(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{ModelName: "tiny", MaxBatch: 2, QueueSize: 3, MaxInferImages: 100})
	req := func(n int) map[string]any {
		var x []float32
		for i := range n {
			x = append(x, randomPixels(uint64(i))...)
		}
		return map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{n, Pixels}, "data": x}}}
	}
	if r := oipInfer(t, ts.URL+"/v2/models/tiny/infer", req(6)); len(oipINT64(t, oipOutput(t, r, "label"))) != 6 {
		t.Errorf("6 images with MaxBatch 2 and a queue of 3: %+v", r)
	}
	code, _, b := oipDo(t, http.MethodPost, ts.URL+"/v2/models/tiny/infer", req(7))
	var e oipError
	if json.Unmarshal(b, &e); code != 400 || !strings.Contains(e.Error, "a batch of 7 images; want 1..6 per request") {
		t.Errorf("7 images with MaxBatch 2 and a queue of 3 = %d %s; want 400 naming the limit 6", code, b)
	}
}

// TestParseTensorData covers the data parser alone: every layout the
// protocol allows for a [2, 2, 2] tensor gives the same values.
func TestParseTensorData(t *testing.T) {
	want := []float32{0, 0.5, 1, 0.25, 0.125, 1e-3, 0, 1}
	for _, s := range []string{
		`[0, 0.5, 1, 0.25, 0.125, 1e-3, 0, 1]`,
		` [ [ [0,0.5] , [1,0.25] ] , [ [0.125,1E-3],[0,1] ] ] `,
	} {
		got, err := parseTensorData([]byte(s), []int{2, 2, 2}, nil)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseTensorData(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{
		`[[0,0.5,1,0.25],[0.125,1e-3,0,1]]`, // nested, but not as the shape
		`[[[0,0.5],[1,0.25]],[[0.125,1e-3],[0]]]`,
		`[[[0,0.5],[1,0.25]],[[0.125,1e-3],[0,1,1]]]`,
		`[[[0,0.5],[1,0.25]],[[0.125,1e-3],[0,[1]]]]`,
		`[0, 0.5, 1, 0.25, 0.125, 1e-3, 0]`,
		`[0, 0.5, 1, 0.25, 0.125, 1e-3, 0, 1, 1]`,
		`[0, 0.5, 1, 0.25, 0.125, 1e-3, 0, "1"]`,
		`{}`, `"x"`, `[`, `[0,`, `[[`, ``,
	} {
		if got, err := parseTensorData([]byte(s), []int{2, 2, 2}, nil); err == nil {
			t.Errorf("parseTensorData(%q) = %v; want an error", s, got)
		}
	}
}

// TestV2ThousandImagesMatchGoAPI is issue 16's check: one Open Inference
// Protocol request with 1,000 MNIST test images to a server of a trained
// model gives the labels and probabilities infer's Go API gives for the
// same pixels, bit for bit.
func TestV2ThousandImagesMatchGoAPI(t *testing.T) {
	const n, path = 1000, "../infer/testdata/baseline-adam.safetensors"
	api, err := infer.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Replicas(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, cs, Config{ModelName: "baseline-adam", MaxBodyBytes: 64 << 20})
	x, _ := mnistTestPixels(t, n)
	want, err := api.PredictBatch(slices.Clone(x), n)
	if err != nil {
		t.Fatal(err)
	}
	r := oipInfer(t, ts.URL+"/v2/models/baseline-adam/infer", map[string]any{
		"inputs": []any{map[string]any{"name": "input", "shape": []int{n, Pixels}, "datatype": "FP32", "data": x}},
	})
	if got := oipFP32(t, oipOutput(t, r, "probabilities")); !slices.Equal(got, want) {
		t.Errorf("/v2 probabilities of %d images differ from infer.Model.PredictBatch's (%d and %d values)", n, len(got), len(want))
	}
	labels := oipINT64(t, oipOutput(t, r, "label"))
	distinct := map[int64]bool{}
	for i, l := range labels {
		if w := int64(infer.Argmax(want[i*Classes : (i+1)*Classes])); l != w {
			t.Fatalf("image %d: /v2 label %d, Go API %d", i, l, w)
		}
		distinct[l] = true
	}
	if len(labels) != n || len(distinct) < 10 {
		t.Errorf("%d labels over %d classes; want %d over all 10 (a trained model)", len(labels), len(distinct), n)
	}
}
