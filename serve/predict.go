package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/infer"
)

// Response is the answer of POST /v1/predict.
type Response struct {
	// Label is the most probable digit; -1 (infer.BlankLabel) for an
	// image with no ink.
	Label int `json:"label"`
	// Probabilities holds the ten class probabilities, digit 0 first
	// (none for an image with no ink).
	Probabilities []float32 `json:"probabilities,omitempty"`
	// NotDigit says the image is probably not a digit at all: blank, or
	// the top probability is very low (the model's thresholds).
	NotDigit bool `json:"not_digit"`
	// Unsure says the label may well be wrong: the top probability is low.
	Unsure bool `json:"unsure"`
	// Pixels is the 28x28 input the model saw (row-major, 0..1), sent
	// only when the request asked with ?pixels=1.
	Pixels []float32 `json:"pixels,omitempty"`
	// Inverted reports, for an image, that dark ink on a light background
	// was inverted to MNIST's white on black.
	Inverted *bool `json:"inverted,omitempty"`
}

// NumberResponse is the answer of POST /v1/predict?number=1: the image
// read as a number written in a row.
type NumberResponse struct {
	// Number is the digits read, left to right ("" for a blank image);
	// marks found not to be digits (a dash) are left out.
	Number string `json:"number"`
	// Digits are the parts found, left to right.
	Digits []NumberDigit `json:"digits"`
	// NotDigit says the image holds no digit at all (it is blank).
	NotDigit bool `json:"not_digit"`
	// Unsure says the number may well be wrong; Reasons say why.
	Unsure  bool     `json:"unsure"`
	Reasons []string `json:"reasons,omitempty"`
	// Inverted reports that dark ink on a light background was inverted.
	Inverted bool `json:"inverted"`
}

// NumberDigit is one part of a NumberResponse.
type NumberDigit struct {
	// Box is the part's bounding box in the image: [x0, y0, x1, y1],
	// pixels from the top left, x1 and y1 excluded.
	Box           [4]int    `json:"box"`
	Label         int       `json:"label"`
	Probabilities []float32 `json:"probabilities"`
	NotDigit      bool      `json:"not_digit"`
	Unsure        bool      `json:"unsure"`
	// Cut reports that the part was cut from ink it touched.
	Cut bool `json:"cut,omitempty"`
	// Reason says why the segmentation flagged the part, if it did.
	Reason string `json:"reason,omitempty"`
	// Pixels is the part's 28x28 (with ?pixels=1).
	Pixels []float32 `json:"pixels,omitempty"`
}

// ErrorResponse is the body of every 4xx and 5xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// requestError is a failure to answer with a given status.
type requestError struct {
	code int
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(code int, format string, a ...any) error {
	return &requestError{code, fmt.Sprintf(format, a...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, ErrorResponse{Error: msg})
}

// predict handles POST /v1/predict.
func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	resp, err := s.answer(w, r)
	if err != nil {
		s.writeRequestError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// writeRequestError answers a requestError with its status and anything
// else with 500 (a bug in rakam).
func (s *Server) writeRequestError(w http.ResponseWriter, err error) {
	var re *requestError
	switch {
	case errors.As(err, &re):
		if re.code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, re.code, re.msg)
	default:
		s.log.Error("predict failed", "err", err)
		writeError(w, http.StatusInternalServerError, "prediction failed: "+err.Error())
	}
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) (any, error) {
	withPixels, err := boolParam(r, "pixels")
	if err != nil {
		return nil, err
	}
	number, err := boolParam(r, "number")
	if err != nil {
		return nil, err
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, badRequest(http.StatusUnsupportedMediaType,
			"missing Content-Type; send application/json {\"pixels\": [784 numbers]}, an image/* body or multipart/form-data")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, badRequest(http.StatusUnsupportedMediaType, "malformed Content-Type %q: %v", ct, err)
	}
	limit := s.cfg.MaxBodyBytes
	if mt == "application/json" {
		// 784 numbers need a few kilobytes; a larger JSON body would only
		// cost memory before failing.
		limit = min(limit, s.cfg.MaxJSONBytes)
	}
	if r.ContentLength > limit {
		// Refuse from the header, without reading what the client sends.
		return nil, badRequest(http.StatusRequestEntityTooLarge,
			"request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)
	}
	// MaxBytesReader also tells the server to close the connection after an
	// oversized body rather than read the rest of it.
	body := http.MaxBytesReader(w, r.Body, limit)
	var (
		x        []float32
		inverted *bool
		data     []byte
	)
	switch {
	case mt == "application/json":
		if number {
			return nil, badRequest(http.StatusBadRequest,
				"?number=1 reads a number in an image; send an image/* body or multipart/form-data (JSON pixels are one 28x28 digit)")
		}
		data, err := s.readBody(body)
		if err != nil {
			return nil, err
		}
		if x, err = parsePixels(data); err != nil {
			return nil, err
		}
	case strings.HasPrefix(mt, "image/") || mt == "application/octet-stream":
		if data, err = s.readBody(body); err != nil {
			return nil, err
		}
	case mt == "multipart/form-data":
		if data, err = s.readMultipart(body, params["boundary"]); err != nil {
			return nil, err
		}
	default:
		return nil, badRequest(http.StatusUnsupportedMediaType,
			"unsupported Content-Type %q; send application/json, image/* (png, jpeg, gif, bmp, tiff, webp) or multipart/form-data", mt)
	}
	if number {
		return s.answerNumber(r.Context(), data, withPixels)
	}
	if x == nil {
		d, err := s.prepareImage(r.Context(), data)
		if errors.Is(err, imageprep.ErrBlank) {
			return blankResponse(), nil
		}
		if err != nil {
			return nil, err
		}
		x, inverted = d.Pixels, &d.Inverted
	}
	if allZero(x) {
		// No ink: nothing to read (as infer.Model.Predict answers).
		return blankResponse(), nil
	}
	probs, err := s.predictBatch(r.Context(), x, 1)
	if err != nil {
		return nil, err
	}
	a := s.thresh.Answer(probs)
	resp := &Response{Label: a.Label, Probabilities: a.Probabilities, NotDigit: a.NotDigit, Unsure: a.Unsure, Inverted: inverted}
	if withPixels {
		resp.Pixels = x
	}
	return resp, nil
}

// blankResponse is the answer for an image with no ink.
func blankResponse() *Response {
	return &Response{Label: infer.BlankLabel, NotDigit: true}
}

func allZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

// answerNumber reads an uploaded image as a number: segmented and prepared
// (infer.SegmentNumber) within the image work limit, its parts predicted
// together through the workers.
func (s *Server) answerNumber(ctx context.Context, data []byte, withPixels bool) (*NumberResponse, error) {
	var np *infer.NumberParts
	err := s.imageWork(ctx, func() error {
		img, err := s.cfg.Image.DecodeUpright(data) // EXIF orientation applied, as for one digit
		if err != nil {
			return err
		}
		np, err = infer.SegmentNumber(img)
		return err
	})
	if err != nil {
		return nil, err
	}
	var probs []float32
	if n := len(np.Digits); n > 0 {
		if probs, err = s.predictBatch(ctx, np.Pixels, n); err != nil {
			return nil, err
		}
	}
	a, err := np.Answer(probs, s.thresh)
	if err != nil {
		return nil, err
	}
	resp := &NumberResponse{Number: a.Number, Digits: make([]NumberDigit, len(a.Digits)), NotDigit: a.NotDigit,
		Unsure: a.Unsure, Reasons: a.Reasons, Inverted: a.Inverted}
	for i, d := range a.Digits {
		b := d.Box
		resp.Digits[i] = NumberDigit{Box: [4]int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y}, Label: d.Label, Probabilities: d.Probabilities,
			NotDigit: d.NotDigit, Unsure: d.Unsure, Cut: d.Cut, Reason: d.Reason}
		if withPixels {
			resp.Digits[i].Pixels = d.Digit.Pixels
		}
	}
	return resp, nil
}

// predictBatch runs n examples through the workers, turning a full queue,
// a shutdown and a cancelled request into request errors.
func (s *Server) predictBatch(ctx context.Context, x []float32, n int) ([]float32, error) {
	probs, err := s.batch.predict(ctx, x, n)
	switch {
	case errors.Is(err, errBusy):
		return nil, badRequest(http.StatusTooManyRequests, "%v", err)
	case errors.Is(err, errClosed):
		return nil, badRequest(http.StatusServiceUnavailable, "%v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, badRequest(http.StatusRequestTimeout, "request cancelled before the prediction was made")
	}
	return probs, err
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(http.StatusBadRequest, "query parameter %s=%q: want true or false (or 1, 0)", name, v)
	}
	return b, nil
}

// readBody reads the whole body within the size limit.
func (s *Server) readBody(body io.Reader) ([]byte, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, s.bodyError(err)
	}
	if len(data) == 0 {
		return nil, badRequest(http.StatusBadRequest, "empty request body")
	}
	return data, nil
}

func (s *Server) bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return badRequest(http.StatusRequestEntityTooLarge, "request body is larger than the limit of %d bytes", mbe.Limit)
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return badRequest(http.StatusRequestTimeout, "timed out reading the request body")
	}
	return badRequest(http.StatusBadRequest, "reading the request body: %v", err)
}

// readMultipart returns the first file part of a multipart/form-data body:
// a part with a file name, or one named "image" or "file".
func (s *Server) readMultipart(body io.Reader, boundary string) ([]byte, error) {
	if boundary == "" {
		return nil, badRequest(http.StatusBadRequest, "multipart/form-data without a boundary parameter")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, badRequest(http.StatusBadRequest, "multipart form has no file part; send the image in a field named \"image\"")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, s.bodyError(err)
			}
			return nil, badRequest(http.StatusBadRequest, "malformed multipart body: %v", err)
		}
		if p.FileName() == "" && p.FormName() != "image" && p.FormName() != "file" {
			p.Close()
			continue
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, s.bodyError(err)
		}
		if len(data) == 0 {
			return nil, badRequest(http.StatusBadRequest, "multipart file part %q is empty", p.FormName())
		}
		return data, nil
	}
}

// prepareImage decodes and preprocesses an uploaded image, with at most
// MaxImageWork images in progress at once. A blank image is
// imageprep.ErrBlank, for the caller to answer.
func (s *Server) prepareImage(ctx context.Context, data []byte) (*imageprep.Digit, error) {
	var d *imageprep.Digit
	err := s.imageWork(ctx, func() error {
		var err error
		d, err = s.cfg.Image.Prepare(data)
		return err
	})
	return d, err
}

// imageWork runs fn, the decoding and preparing of an uploaded image, once
// fewer than MaxImageWork are in progress, and turns imageprep's errors
// into request errors (ErrBlank is returned as it is).
func (s *Server) imageWork(ctx context.Context, fn func() error) error {
	t := time.NewTimer(s.cfg.ImageWait)
	defer t.Stop()
	select {
	case s.imageSem <- struct{}{}:
	case <-t.C:
		return badRequest(http.StatusTooManyRequests, "server busy: too many images being processed; retry shortly")
	case <-ctx.Done():
		return badRequest(http.StatusRequestTimeout, "request cancelled while waiting to process the image")
	}
	defer func() { <-s.imageSem }()
	err := fn()
	switch {
	case err == nil, errors.Is(err, imageprep.ErrBlank):
		return err
	case errors.Is(err, imageprep.ErrTooLarge):
		return badRequest(http.StatusRequestEntityTooLarge, "%v", err)
	case errors.Is(err, imageprep.ErrFormat):
		return badRequest(http.StatusUnsupportedMediaType, "%v", err)
	default: // ErrEmpty, ErrCorrupt
		return badRequest(http.StatusBadRequest, "%v", err)
	}
}

// pixelsRequest is the JSON form of a prediction request.
type pixelsRequest struct {
	Pixels []float32 `json:"pixels"`
}

// parsePixels decodes {"pixels": [784 numbers in 0..1]}, naming what is
// wrong when it is not that.
func parsePixels(data []byte) ([]float32, error) {
	var req pixelsRequest
	if px, ok := scanPixels(data, make([]float32, 0, Pixels)); ok {
		req.Pixels = px
	} else if err := decodePixelsJSON(data, &req); err != nil {
		return nil, err
	}
	if req.Pixels == nil {
		return nil, badRequest(http.StatusBadRequest, `missing "pixels": want {"pixels": [784 numbers in 0..1]}`)
	}
	if len(req.Pixels) > Pixels {
		return nil, badRequest(http.StatusBadRequest, "pixels has more than %d values; want %d (28x28, row-major)", Pixels, Pixels)
	}
	if len(req.Pixels) != Pixels {
		return nil, badRequest(http.StatusBadRequest, "pixels has %d values; want %d (28x28, row-major)", len(req.Pixels), Pixels)
	}
	for i, v := range req.Pixels {
		if !(v >= 0 && v <= 1) { // also catches NaN
			return nil, badRequest(http.StatusBadRequest, "pixels[%d] = %v is outside 0..1", i, v)
		}
	}
	return req.Pixels, nil
}

// decodePixelsJSON is the general path of parsePixels: encoding/json,
// strict about unknown fields and trailing data.
func decodePixelsJSON(data []byte, req *pixelsRequest) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return jsonError(data, err)
	}
	if dec.More() {
		return badRequest(http.StatusBadRequest, "invalid JSON: more data after the object at byte %d", dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest(http.StatusBadRequest, "invalid JSON: more data after the object at byte %d", dec.InputOffset())
	}
	return nil
}

// jsonError explains a decoding failure. A wrongly typed or out-of-range
// element is located by decoding again into raw values, which costs nothing
// on the good path.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return badRequest(http.StatusBadRequest, "invalid JSON at byte %d: %v", se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "pixels" {
		var raw struct{ Pixels []json.RawMessage }
		if json.Unmarshal(data, &raw) == nil {
			for i, v := range raw.Pixels {
				var f float64
				if json.Unmarshal(v, &f) != nil || math.Abs(f) > math.MaxFloat32 {
					return badRequest(http.StatusBadRequest, "pixels[%d] = %s is not a number in 0..1", i, truncate(string(v), 40))
				}
			}
		}
		return badRequest(http.StatusBadRequest, `"pixels" must be an array of 784 numbers in 0..1, not a JSON %s`, te.Value)
	}
	if te != nil {
		return badRequest(http.StatusBadRequest, "invalid JSON: field %q: want %v, got a JSON %s", te.Field, te.Type, te.Value)
	}
	if errors.Is(err, io.EOF) {
		return badRequest(http.StatusBadRequest, "empty JSON body")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest(http.StatusBadRequest, "invalid JSON: the body ends part-way")
	}
	return badRequest(http.StatusBadRequest, "invalid JSON: %v", err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// healthz answers GET /healthz.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "model": s.cfg.ModelName})
}
