package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/tensor"
)

// Saved models are safetensors files:
//
//	bytes 0..7     N, the header length, uint64 little-endian
//	bytes 8..8+N   a JSON object: for each tensor name
//	               {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
//	               and "__metadata__": {string: string}; padded with
//	               spaces to a multiple of 8 bytes
//	bytes 8+N..    the tensors' float32 values, little-endian, row-major,
//	               at data_offsets relative to the start of this region,
//	               contiguous and in the order Sequential.Tensors lists them
//
// Keys are sorted (encoding/json sorts maps), so the same weights and
// metadata always give the same bytes.

// Metadata keys rakam writes and reads. MetaSpec is set by Save from the
// model; the others are the caller's to fill.
const (
	MetaSpec          = "rakam.spec"           // the model's Spec as JSON
	MetaName          = "rakam.name"           // the model's name (a zoo or study row name)
	MetaVersion       = "rakam.version"        // rakam's version
	MetaTrainConfig   = "rakam.train_config"   // training flags as JSON
	MetaMetrics       = "rakam.metrics"        // test metrics as JSON
	MetaDatasetSHA256 = "rakam.dataset_sha256" // hex SHA-256 of the training data
	// MetaStudyRun is a study's run as JSON (recipe, result, learning
	// rates): rakam compare reuses a saved model whose recipe matches.
	MetaStudyRun = "rakam.study_run"
)

// MaxHeaderBytes bounds the JSON header a file may declare; a larger
// declared length is rejected before anything is allocated for it.
const MaxHeaderBytes = 100 << 20

// ErrFormat is wrapped by every error about a malformed or mismatched model
// file, so callers can tell bad input (errors.Is(err, nn.ErrFormat)) from a
// failure to read.
var ErrFormat = errors.New("invalid model file")

// ErrTensorFile is wrapped by every error DecodeTensors reports about a
// malformed safetensors file (one that need not hold a model, such as a
// training checkpoint), in place of ErrFormat.
var ErrTensorFile = errors.New("invalid safetensors file")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// fileError is what is wrong with a safetensors file, before the caller
// says which kind of file it expected (ErrFormat or ErrTensorFile).
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

func badFile(format string, args ...any) error {
	return &fileError{fmt.Errorf(format, args...)}
}

// asKind marks err as bad input of the given kind when it is a fileError;
// other errors (failures to read) pass unchanged.
func asKind(err, kind error) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: %w", kind, fe.err)
	}
	return err
}

type tensorHeader struct {
	Dtype       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Save writes m and meta to path as a safetensors file, atomically (a
// crash leaves the old file or the new one). The model's Spec is added to
// the metadata under MetaSpec. It refuses to write a model holding NaN or
// Inf, naming the tensor.
func Save(path string, m *Sequential, meta map[string]string) error {
	// Check before creating anything, so a NaN model leaves no file.
	if err := checkFinite(m.Tensors()); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if _, ok := meta[MetaSpec]; ok {
		return fmt.Errorf("nn: save %s: metadata key %q is reserved for the model's Spec", path, MetaSpec)
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return Encode(w, m, meta) })
	if err != nil {
		return fmt.Errorf("nn: save: %w", err)
	}
	return nil
}

// Encode writes m and meta in the safetensors format to w. meta may not
// set MetaSpec, which Encode fills from m.Spec.
func Encode(w io.Writer, m *Sequential, meta map[string]string) error {
	if _, ok := meta[MetaSpec]; ok {
		return fmt.Errorf("nn: metadata key %q is reserved for the model's Spec", MetaSpec)
	}
	all := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		all[k] = v
	}
	all[MetaSpec] = string(m.Spec.JSON())
	return EncodeTensors(w, m.Tensors(), all)
}

// EncodeTensors writes named tensors and string metadata in the safetensors
// format, the tensors' data in the order of ts. Names must be unique and
// non-empty and values finite. Encode writes models with it and train its
// checkpoints (model tensors, optimiser moments and the run's state in the
// metadata); DecodeTensors reads what it writes.
func EncodeTensors(w io.Writer, ts []*Param, meta map[string]string) error {
	if err := checkFinite(ts); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	header := make(map[string]any, len(ts)+1)
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	var off int64
	for _, p := range ts {
		if p.Name == "" || p.Name == "__metadata__" {
			return fmt.Errorf("nn: tensor name %q not allowed", p.Name)
		}
		if _, dup := header[p.Name]; dup {
			return fmt.Errorf("nn: two tensors named %q", p.Name)
		}
		shape := make([]int64, len(p.Value.Shape))
		for i, d := range p.Value.Shape {
			shape[i] = int64(d)
		}
		n := int64(len(p.Value.Data)) * 4
		header[p.Name] = tensorHeader{Dtype: "F32", Shape: shape, DataOffsets: []int64{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("nn: encode header: %w", err)
	}
	if pad := (8 - len(hb)%8) % 8; pad > 0 {
		hb = append(hb, bytes.Repeat([]byte{' '}, pad)...)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hb)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(hb); err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	for _, p := range ts {
		for _, v := range p.Value.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	return nil
}

func checkFinite(ts []*Param) error {
	for _, p := range ts {
		for i, v := range p.Value.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("tensor %q holds %v at index %d; refusing a non-finite model", p.Name, v, i)
			}
		}
	}
	return nil
}

// Load reads a model saved by Save, rebuilds it from the Spec in its
// metadata and returns it with the metadata. Every part of the file is
// checked (see Decode); errors name the file and what is wrong with it.
func Load(path string) (*Sequential, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("nn: load: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("nn: load %s: not a regular file", path)
	}
	m, meta, err := decodeModel(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("nn: load %s: %w", path, err)
	}
	return m, meta, nil
}

// Decode reads a model from the size bytes of r. It checks the header
// length against the file size and MaxHeaderBytes before allocating, the
// JSON (no duplicate or unknown fields), every dtype ("F32" only), that the
// shapes agree with the byte offsets and the offsets tile the data region
// exactly, that the metadata holds a valid Spec whose tensors have exactly
// the names and shapes in the file, and that every value is finite.
func Decode(r io.ReaderAt, size int64) (*Sequential, map[string]string, error) {
	m, meta, err := decodeModel(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %w", err)
	}
	return m, meta, nil
}

func decodeModel(r io.ReaderAt, size int64) (*Sequential, map[string]string, error) {
	ts, meta, err := decodeTensors(r, size)
	if err != nil {
		return nil, nil, asKind(err, ErrFormat)
	}
	specJSON, ok := meta[MetaSpec]
	if !ok {
		return nil, nil, formatErr("metadata has no %q: not a rakam model", MetaSpec)
	}
	spec, err := ParseSpec([]byte(specJSON))
	if err != nil {
		return nil, nil, formatErr("metadata %q: %v", MetaSpec, err)
	}
	// Compare sizes before Build allocates the Spec's tensors, so a small
	// file cannot ask for a huge model.
	want, err := spec.countValues()
	if err != nil {
		return nil, nil, formatErr("metadata %q: %v", MetaSpec, err)
	}
	var have int
	for _, t := range ts {
		have += len(t.Value.Data)
	}
	if want != have {
		return nil, nil, formatErr("the spec's model has %d values but the file holds %d", want, have)
	}
	m, err := Build(spec, 0)
	if err != nil {
		return nil, nil, formatErr("metadata %q: %v", MetaSpec, err)
	}
	byName := make(map[string]*Param, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, p := range m.Tensors() {
		t, ok := byName[p.Name]
		if !ok {
			return nil, nil, formatErr("tensor %q of the spec's model is missing", p.Name)
		}
		if !tensor.SameShape(t.Value, p.Value) {
			return nil, nil, formatErr("tensor %q has shape %v; the spec's model needs %v", p.Name, t.Value.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, t.Value.Data)
		delete(byName, p.Name)
	}
	if len(byName) > 0 {
		extra := make([]string, 0, len(byName))
		for n := range byName {
			extra = append(extra, n)
		}
		sort.Strings(extra)
		return nil, nil, formatErr("tensors not in the spec's model: %s", strings.Join(extra, ", "))
	}
	return m, meta, nil
}

// DecodeTensors reads any safetensors file of float32 tensors from the
// size bytes of r, with the checks Decode describes except those about the
// Spec. Tensors come back in data order, with nil Grad. Errors about the
// file's content wrap ErrTensorFile (not ErrFormat); train reads its
// checkpoints with it.
func DecodeTensors(r io.ReaderAt, size int64) ([]*Param, map[string]string, error) {
	ts, meta, err := decodeTensors(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %w", asKind(err, ErrTensorFile))
	}
	return ts, meta, nil
}

func decodeTensors(r io.ReaderAt, size int64) ([]*Param, map[string]string, error) {
	if size < 8 {
		return nil, nil, badFile("%d bytes; a safetensors file starts with an 8-byte header length: %w", size, io.ErrUnexpectedEOF)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, nil, fmt.Errorf("read header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > MaxHeaderBytes {
		return nil, nil, badFile("header length %d at byte 0 exceeds the %d-byte limit", hlen, MaxHeaderBytes)
	}
	if hlen > uint64(size-8) {
		return nil, nil, badFile("header length %d at byte 0 runs past the end of the %d-byte file: %w", hlen, size, io.ErrUnexpectedEOF)
	}
	if hlen < 2 {
		return nil, nil, badFile("header length %d at byte 0 is too short for a JSON object", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := r.ReadAt(hb, 8); err != nil {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	entries, meta, err := parseHeader(hb)
	if err != nil {
		return nil, nil, err
	}
	dataStart := 8 + int64(hlen)
	dataLen := size - dataStart

	// The offsets must tile [0, dataLen) exactly: sorted by begin, each
	// begins where the previous ended, the last ends at the file's end.
	slices.SortFunc(entries, func(a, b headerEntry) int {
		if c := cmpInt64(a.h.DataOffsets[0], b.h.DataOffsets[0]); c != 0 {
			return c
		}
		return cmpInt64(a.h.DataOffsets[1], b.h.DataOffsets[1])
	})
	var pos int64
	for _, e := range entries {
		b, end := e.h.DataOffsets[0], e.h.DataOffsets[1]
		if b != pos {
			if b < pos {
				return nil, nil, badFile("tensor %q: data_offsets [%d, %d] overlap the previous tensor, which ends at %d", e.name, b, end, pos)
			}
			return nil, nil, badFile("tensor %q: data_offsets [%d, %d] leave a gap after offset %d", e.name, b, end, pos)
		}
		if end > dataLen {
			return nil, nil, badFile("tensor %q: data_offsets [%d, %d] run past the %d data bytes (file truncated?): %w", e.name, b, end, dataLen, io.ErrUnexpectedEOF)
		}
		pos = end
	}
	if pos != dataLen {
		return nil, nil, badFile("tensors cover %d data bytes but the file has %d after the header", pos, dataLen)
	}

	var data []byte
	if dataLen > 0 {
		data = make([]byte, dataLen)
		if _, err := r.ReadAt(data, dataStart); err != nil {
			return nil, nil, fmt.Errorf("read tensor data: %w", err)
		}
	}
	ts := make([]*Param, len(entries))
	for i, e := range entries {
		shape := make([]int, len(e.h.Shape))
		for j, d := range e.h.Shape {
			shape[j] = int(d)
		}
		t := tensor.New(shape...)
		raw := data[e.h.DataOffsets[0]:e.h.DataOffsets[1]]
		for j := range t.Data {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, badFile("tensor %q holds %v at index %d (byte %d of the file)", e.name, v, j, dataStart+e.h.DataOffsets[0]+4*int64(j))
			}
			t.Data[j] = v
		}
		ts[i] = &Param{Name: e.name, Value: t}
	}
	return ts, meta, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type headerEntry struct {
	name string
	h    tensorHeader
}

// parseHeader decodes the JSON header, rejecting duplicate keys (which
// encoding/json would silently merge), unknown fields, dtypes other than
// F32 and shapes that disagree with their offsets.
func parseHeader(hb []byte) ([]headerEntry, map[string]string, error) {
	if !utf8.Valid(hb) {
		return nil, nil, badFile("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hb))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, badFile("header JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, badFile("header is not a JSON object")
	}
	var entries []headerEntry
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, badFile("header JSON at byte %d: %v", 8+dec.InputOffset(), err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, badFile("header names %q twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, badFile("header JSON, entry %q: %v", name, err)
		}
		if name == "__metadata__" {
			if err := strictUnmarshal(raw, &meta); err != nil {
				return nil, nil, badFile("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var h tensorHeader
		if err := strictUnmarshal(raw, &h); err != nil {
			return nil, nil, badFile("tensor %q: %v", name, err)
		}
		if name == "" {
			return nil, nil, badFile("a tensor has an empty name")
		}
		if h.Dtype != "F32" {
			return nil, nil, badFile("tensor %q has dtype %q; rakam reads only \"F32\"", name, h.Dtype)
		}
		if len(h.Shape) > 8 {
			return nil, nil, badFile("tensor %q has %d dimensions; at most 8", name, len(h.Shape))
		}
		n := int64(1)
		for _, d := range h.Shape {
			if d < 0 || d > math.MaxInt32 {
				return nil, nil, badFile("tensor %q has shape %v: dimension out of range", name, h.Shape)
			}
			n *= d
			if n > math.MaxInt32 {
				return nil, nil, badFile("tensor %q has shape %v: too many values", name, h.Shape)
			}
		}
		if len(h.DataOffsets) != 2 {
			return nil, nil, badFile("tensor %q: data_offsets %v: want [begin, end]", name, h.DataOffsets)
		}
		b, e := h.DataOffsets[0], h.DataOffsets[1]
		if b < 0 || e < b {
			return nil, nil, badFile("tensor %q: data_offsets [%d, %d] out of order", name, b, e)
		}
		if e-b != 4*n {
			return nil, nil, badFile("tensor %q: shape %v needs %d bytes but data_offsets [%d, %d] span %d", name, h.Shape, 4*n, b, e, e-b)
		}
		entries = append(entries, headerEntry{name, h})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, badFile("header JSON: %v", err)
	}
	// Only the space padding Encode writes may follow the object.
	if rest := bytes.TrimRight(hb[dec.InputOffset():], " "); len(rest) > 0 {
		return nil, nil, badFile("header has trailing data after the JSON object at byte %d", 8+dec.InputOffset())
	}
	if meta == nil {
		meta = map[string]string{}
	}
	return entries, meta, nil
}

func strictUnmarshal(raw []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errors.New("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
