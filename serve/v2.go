package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/version"
)

// The Open Inference Protocol (KServe's "Predict Protocol - Version 2",
// also spoken by Triton, Seldon MLServer and others) over HTTP/REST: the
// health, metadata and inference APIs of its required_api.md, for the one
// model this server holds. Model versions are not supported (the protocol
// makes them optional).
const (
	v2Input         = "input"
	v2Probabilities = "probabilities"
	v2Label         = "label"
	// v2Platform follows the protocol's "<project>_<format>" naming.
	v2Platform = "rakam_safetensors"
)

// v2Tensor is a $metadata_tensor: -1 marks the batch dimension.
type v2Tensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

var (
	v2Inputs  = []v2Tensor{{Name: v2Input, Datatype: "FP32", Shape: []int{-1, Pixels}}}
	v2Outputs = []v2Tensor{
		{Name: v2Probabilities, Datatype: "FP32", Shape: []int{-1, Classes}},
		{Name: v2Label, Datatype: "INT64", Shape: []int{-1}},
	}
)

type v2ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

type v2ModelMetadata struct {
	Name     string     `json:"name"`
	Platform string     `json:"platform"`
	Inputs   []v2Tensor `json:"inputs"`
	Outputs  []v2Tensor `json:"outputs"`
}

// v2InferRequest is an $inference_request. Parameters are accepted and
// ignored (the protocol defines none).
type v2InferRequest struct {
	ID         *string          `json:"id"`
	Parameters map[string]any   `json:"parameters"`
	Inputs     []v2RequestInput `json:"inputs"`
	Outputs    []struct {
		Name       string         `json:"name"`
		Parameters map[string]any `json:"parameters"`
	} `json:"outputs"`
}

type v2RequestInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters"`
	Data       json.RawMessage `json:"data"`
}

type v2InferResponse struct {
	ModelName string             `json:"model_name"`
	ID        string             `json:"id,omitempty"`
	Outputs   []v2ResponseOutput `json:"outputs"`
}

type v2ResponseOutput struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
	Data     any    `json:"data"`
}

func (s *Server) v2Routes(mux *http.ServeMux, handle func(string, []string, http.HandlerFunc) http.Handler) {
	get := []string{http.MethodGet, http.MethodHead}
	mux.Handle("/v2", handle("v2_server_metadata", get, s.v2ServerMetadata))
	mux.Handle("/v2/health/live", handle("v2_live", get, s.v2Live))
	mux.Handle("/v2/health/ready", handle("v2_ready", get, s.v2Ready))
	mux.Handle("/v2/models/{name}", handle("v2_model_metadata", get, s.v2ModelMetadata))
	mux.Handle("/v2/models/{name}/ready", handle("v2_model_ready", get, s.v2ModelReady))
	mux.Handle("/v2/models/{name}/infer", handle("v2_infer", []string{http.MethodPost}, s.v2Infer))
	mux.Handle("/v2/models/{name}/versions/", s.instrument("v2_other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model versions are not supported: use /v2/models/%s without /versions/...", s.cfg.ModelName))
	})))
	mux.Handle("/v2/", s.instrument("v2_other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such path %q; the /v2 API has GET /v2, /v2/health/live, /v2/health/ready, "+
			"/v2/models/%[2]s, /v2/models/%[2]s/ready and POST /v2/models/%[2]s/infer", r.URL.Path, s.cfg.ModelName))
	})))
}

// v2Live answers GET /v2/health/live: 200 with an empty body.
func (s *Server) v2Live(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

// v2Ready answers GET /v2/health/ready: 200 while ready, 400 while
// draining (the protocol: 200 means true, 4xx false; the body is empty).
func (s *Server) v2Ready(w http.ResponseWriter, r *http.Request) {
	if !s.ready() {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// v2ModelReady answers GET /v2/models/{name}/ready like v2Ready, and 404
// for a model this server does not have.
func (s *Server) v2ModelReady(w http.ResponseWriter, r *http.Request) {
	if s.unknownModel(w, r) {
		return
	}
	s.v2Ready(w, r)
}

func (s *Server) v2ServerMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, v2ServerMetadata{Name: "rakam", Version: version.String(), Extensions: []string{}})
}

func (s *Server) v2ModelMetadata(w http.ResponseWriter, r *http.Request) {
	if s.unknownModel(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, v2ModelMetadata{Name: s.cfg.ModelName, Platform: v2Platform, Inputs: v2Inputs, Outputs: v2Outputs})
}

// unknownModel answers 404 when the path names another model.
func (s *Server) unknownModel(w http.ResponseWriter, r *http.Request) bool {
	if name := r.PathValue("name"); name != s.cfg.ModelName {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown model %q; this server serves %q", truncate(name, 100), s.cfg.ModelName))
		return true
	}
	return false
}

// v2Infer answers POST /v2/models/{name}/infer.
func (s *Server) v2Infer(w http.ResponseWriter, r *http.Request) {
	if s.unknownModel(w, r) {
		return
	}
	resp, err := s.infer(w, r)
	if err != nil {
		s.writeRequestError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) infer(w http.ResponseWriter, r *http.Request) (*v2InferResponse, error) {
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, badRequest(http.StatusRequestEntityTooLarge,
			"request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)
	}
	data, err := s.readBody(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, err
	}
	var req v2InferRequest
	if err := decodeStrict(data, &req); err != nil {
		return nil, err
	}
	x, n, err := s.v2Pixels(req.Inputs)
	if err != nil {
		return nil, err
	}
	outputs, err := v2Requested(req)
	if err != nil {
		return nil, err
	}
	probs, err := s.predictBatch(r.Context(), x, n)
	if err != nil {
		return nil, err
	}
	resp := &v2InferResponse{ModelName: s.cfg.ModelName}
	if req.ID != nil {
		resp.ID = *req.ID
	}
	for _, name := range outputs {
		switch name {
		case v2Probabilities:
			resp.Outputs = append(resp.Outputs, v2ResponseOutput{Name: name, Datatype: "FP32", Shape: []int{n, Classes}, Data: probs})
		case v2Label:
			labels := make([]int64, n)
			for i := range labels {
				labels[i] = int64(infer.Argmax(probs[i*Classes : (i+1)*Classes]))
			}
			resp.Outputs = append(resp.Outputs, v2ResponseOutput{Name: name, Datatype: "INT64", Shape: []int{n}, Data: labels})
		}
	}
	return resp, nil
}

// v2Requested returns the names of the outputs to send: those the request
// lists, in its order, or all of them.
func v2Requested(req v2InferRequest) ([]string, error) {
	if req.Outputs == nil {
		return []string{v2Probabilities, v2Label}, nil
	}
	var names []string
	for i, o := range req.Outputs {
		if o.Name != v2Probabilities && o.Name != v2Label {
			return nil, badRequest(http.StatusBadRequest, "outputs[%d]: unknown output %q; the model's outputs are %q and %q",
				i, truncate(o.Name, 100), v2Probabilities, v2Label)
		}
		if !contains(names, o.Name) {
			names = append(names, o.Name)
		}
	}
	if len(names) == 0 {
		return nil, badRequest(http.StatusBadRequest, `"outputs" is an empty list; leave it out for every output, or name %q or %q`, v2Probabilities, v2Label)
	}
	return names, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

const v2InputHelp = `want [{"name": "input", "datatype": "FP32", "shape": [N, 784], "data": [N*784 numbers in 0..1]}]`

// v2Pixels checks the request's one input and returns its pixels and the
// number of images, checking the shape before reading any data.
func (s *Server) v2Pixels(inputs []v2RequestInput) ([]float32, int, error) {
	if len(inputs) == 0 {
		return nil, 0, badRequest(http.StatusBadRequest, `"inputs" is missing or empty; %s`, v2InputHelp)
	}
	if len(inputs) > 1 {
		return nil, 0, badRequest(http.StatusBadRequest, "%d inputs; the model takes one, %q", len(inputs), v2Input)
	}
	in := inputs[0]
	if in.Name != v2Input {
		return nil, 0, badRequest(http.StatusBadRequest, "unknown input %q; the model's input is %q (%s)", truncate(in.Name, 100), v2Input, v2InputHelp)
	}
	if in.Datatype != "FP32" {
		return nil, 0, badRequest(http.StatusBadRequest, "input %q: datatype %q; want \"FP32\" (pixels in 0..1)", v2Input, truncate(in.Datatype, 40))
	}
	shape := in.Shape
	okShape := (len(shape) == 2 && shape[1] == Pixels) ||
		(len(shape) == 4 && shape[1] == 1 && shape[2] == 28 && shape[3] == 28)
	if !okShape {
		return nil, 0, badRequest(http.StatusBadRequest, "input %q: shape %v; want [N, %d] or [N, 1, 28, 28]", v2Input, shapeString(shape), Pixels)
	}
	// A request is queued as jobs of MaxBatch images; one that needs more
	// jobs than the queue holds could never be accepted.
	limit := min(s.cfg.MaxInferImages, s.cfg.QueueSize*s.cfg.MaxBatch)
	if shape[0] < 1 || shape[0] > int64(limit) {
		return nil, 0, badRequest(http.StatusBadRequest, "input %q: shape %v: a batch of %d images; want 1..%d per request",
			v2Input, shapeString(shape), shape[0], limit)
	}
	n := int(shape[0])
	dims := make([]int, len(shape))
	for i, d := range shape {
		dims[i] = int(d)
	}
	if in.Data == nil {
		return nil, 0, badRequest(http.StatusBadRequest, "input %q: missing \"data\"", v2Input)
	}
	x, err := parseTensorData(in.Data, dims, make([]float32, 0, n*Pixels))
	if err != nil {
		return nil, 0, badRequest(http.StatusBadRequest, "input %q: %v", v2Input, err)
	}
	for i, v := range x {
		if !(v >= 0 && v <= 1) {
			return nil, 0, badRequest(http.StatusBadRequest, "input %q: value %d (image %d, pixel %d) = %v is outside 0..1",
				v2Input, i, i/Pixels, i%Pixels, v)
		}
	}
	return x, n, nil
}

func shapeString(shape []int64) string {
	if len(shape) > 8 {
		return fmt.Sprintf("%v... (%d dimensions)", shape[:8], len(shape))
	}
	return fmt.Sprint(shape)
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and
// trailing data, with errors that say where.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return badRequest(http.StatusBadRequest, "invalid request: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return jsonError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest(http.StatusBadRequest, "invalid JSON: more data after the object at byte %d", dec.InputOffset())
	}
	return nil
}
