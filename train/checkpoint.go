package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/tensor"
)

// CheckpointFile is the name of the checkpoint inside a checkpoint
// directory. It is replaced atomically, so a crash at any moment leaves the
// previous checkpoint or the new one.
const CheckpointFile = "checkpoint.safetensors"

// A checkpoint is a safetensors file (see nn.EncodeTensors and
// docs/training.md), written and read with nn's codec:
//
//	tensors   the model's tensors under their model names (weights and
//	          batch-norm statistics, as in a model file), then each
//	          optimiser moment as "optim.<parameter>.<slot>" ("m" and "v"
//	          for Adam, "velocity" for SGD with momentum) in the shape of
//	          its parameter
//	metadata  the run's state, one string per key below (JSON where the
//	          value is an object or a list), and a CRC-32C of the data and
//	          the rest of the metadata
//
// Format 1 was a binary format of its own ("RKCKPT01", with optimiser
// state "RKMOPT01" inside it); such files are refused with a message
// saying to restart training.
const (
	ckptFormat     = "2"
	oldCkptFile    = "checkpoint.rkc" // where format 1 was written
	optimPrefix    = "optim."         // tensor names of optimiser moments
	maxMetaEntries = 64
)

// Checkpoint metadata keys.
const (
	keyFormat    = "rakam.checkpoint.format"    // "2"
	keyCreated   = "rakam.checkpoint.created"   // RFC 3339, UTC
	keyEpoch     = "rakam.checkpoint.epoch"     // 1-based epoch in progress (or next to start)
	keyBatch     = "rakam.checkpoint.batch"     // batches of that epoch done
	keyStep      = "rakam.checkpoint.step"      // global step (optimiser steps taken)
	keyProgress  = "rakam.checkpoint.progress"  // JSON ckptProgress: the epoch's running sums
	keyLR        = "rakam.checkpoint.lr"        // JSON ckptLR: reduce-on-plateau's scale and floor
	keyHistory   = "rakam.checkpoint.history"   // JSON History: the epochs done
	keyCallbacks = "rakam.checkpoint.callbacks" // JSON {callback name: its state}
	keyRNG       = "rakam.checkpoint.rng"       // JSON list of base64 generator states, one per random layer
	keyOptimizer = "rakam.checkpoint.optimizer" // JSON optim.State without the moments
	keyMeta      = "rakam.checkpoint.meta"      // Config.Meta, verbatim JSON
	keyCRC       = "rakam.checkpoint.crc32c"    // 8 hex digits, see checksum
)

var knownKeys = map[string]bool{keyFormat: true, keyCreated: true, keyEpoch: true, keyBatch: true, keyStep: true,
	keyProgress: true, keyLR: true, keyHistory: true, keyCallbacks: true, keyRNG: true, keyOptimizer: true,
	keyMeta: true, keyCRC: true}

// ErrCheckpoint is wrapped by every error reading a checkpoint.
var ErrCheckpoint = errors.New("train: invalid checkpoint")

type ckptProgress struct {
	LossSum      float64 `json:"loss_sum"`
	Correct      int     `json:"correct"`
	Outliers     int     `json:"outliers,omitempty"`
	Seen         int     `json:"seen"`
	EpochSeconds float64 `json:"epoch_seconds"`
}

type ckptLR struct {
	LRScale float64 `json:"lr_scale"`
	MinLR   float64 `json:"min_lr"`
}

type ckptMeta struct {
	Epoch     int // 0-based epoch in progress
	Batch     int // batches of it done
	Step      int64
	Progress  ckptProgress
	LR        ckptLR
	History   History
	Callbacks map[string]json.RawMessage
	RNG       [][]byte // one per random layer, in order
	Meta      json.RawMessage
}

// Checkpoint is a training run's saved state.
type Checkpoint struct {
	Path  string
	meta  ckptMeta
	model []*nn.Param // in file order
	opt   optim.State // with its moments
}

// Epoch is the 1-based epoch the run was in (or will start).
func (c *Checkpoint) Epoch() int { return c.meta.Epoch + 1 }

// Batch is the number of batches of that epoch already trained.
func (c *Checkpoint) Batch() int { return c.meta.Batch }

// Meta returns what Config.Meta held when the checkpoint was written.
func (c *Checkpoint) Meta() json.RawMessage { return c.meta.Meta }

// History returns the epochs completed before the checkpoint.
func (c *Checkpoint) History() History { return c.meta.History }

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// checksum is the CRC-32C (Castagnoli) of the data section (every
// tensor's float32 values, little-endian, in file order) followed by each
// metadata entry but the checksum's own, sorted by key, as key, NUL,
// value, NUL.
func checksum(ts []*nn.Param, meta map[string]string) uint32 {
	h := crc32.New(crcTable)
	buf := make([]byte, 0, 64<<10)
	for _, p := range ts {
		for _, v := range p.Value.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				h.Write(buf)
				buf = buf[:0]
			}
		}
	}
	h.Write(buf)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != keyCRC {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(meta[k]))
		h.Write([]byte{0})
	}
	return h.Sum32()
}

func optimTensor(param, slot string) string { return optimPrefix + param + "." + slot }

func checkDir(dir string) error {
	if err := atomicfile.CheckWritable(dir); err != nil {
		return fmt.Errorf("train: checkpoint %w", err)
	}
	return nil
}

func writeCheckpoint(dir string, t *trainer, r *Run, cbs []Callback, meta json.RawMessage) error {
	fail := func(err error) error { return fmt.Errorf("train: checkpoint: %w", err) }
	ts := append([]*nn.Param(nil), t.model.Tensors()...)
	shapes := make(map[string][]int, len(ts))
	for _, p := range ts {
		shapes[p.Name] = p.Value.Shape
	}
	st := t.opt.State()
	for pi, p := range st.Params {
		shape := []int{p.Size} // a moment has its parameter's shape
		if s, ok := shapes[p.Name]; ok && numValues(s) == p.Size {
			shape = s
		}
		for si, slot := range st.Slots {
			ts = append(ts, &nn.Param{Name: optimTensor(p.Name, slot), Value: tensor.FromSlice(st.Moments[si][pi], shape...)})
		}
	}
	st.Moments = nil
	md := map[string]string{
		keyFormat:  ckptFormat,
		keyCreated: time.Now().UTC().Format(time.RFC3339),
		keyEpoch:   strconv.Itoa(t.epoch + 1),
		keyBatch:   strconv.Itoa(t.batch),
		keyStep:    strconv.FormatInt(t.step, 10),
	}
	var rng [][]byte
	for _, rl := range t.model.RandomLayers() {
		b, err := rl.MarshalRNG()
		if err != nil {
			return fail(err)
		}
		rng = append(rng, b)
	}
	var states map[string]json.RawMessage
	for _, c := range cbs {
		if s, ok := c.(Stateful); ok {
			b, err := s.MarshalState()
			if err != nil {
				return fmt.Errorf("train: checkpoint: %s: %w", c.Name(), err)
			}
			if states == nil {
				states = map[string]json.RawMessage{}
			}
			states[c.Name()] = b
		}
	}
	for key, v := range map[string]any{
		keyProgress:  ckptProgress{LossSum: t.lossSum, Correct: t.correct, Seen: t.seen, Outliers: t.outliers, EpochSeconds: t.epochSeconds},
		keyLR:        ckptLR{LRScale: r.LRScale, MinLR: r.MinLR},
		keyHistory:   r.History,
		keyOptimizer: st,
		keyCallbacks: states,
		keyRNG:       rng,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", key, err))
		}
		md[key] = string(b)
	}
	if states == nil {
		delete(md, keyCallbacks)
	}
	if rng == nil {
		delete(md, keyRNG)
	}
	if len(meta) > 0 {
		md[keyMeta] = string(meta)
	}
	md[keyCRC] = fmt.Sprintf("%08x", checksum(ts, md))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	err := atomicfile.Write(filepath.Join(dir, CheckpointFile), 0o644, func(w io.Writer) error {
		return nn.EncodeTensors(w, ts, md)
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

func numValues(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// LoadCheckpoint reads the checkpoint in dir (or the file dir itself, when
// it names one). A directory holding only a checkpoint of an older rakam
// (checkpoint.rkc) gets the error saying the format changed.
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	path := dir
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		path = filepath.Join(dir, CheckpointFile)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(dir, oldCkptFile)); err == nil {
				path = filepath.Join(dir, oldCkptFile)
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("train: no checkpoint at %s: %w", path, err)
		}
		return nil, fmt.Errorf("train: %w", err)
	}
	c, err := ParseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// ParseCheckpoint decodes a checkpoint file's bytes: the safetensors
// layout with nn.DecodeTensors' checks, the checksum, every metadata value
// and the optimiser's tensors against its state. Whether the checkpoint
// fits a model is checked when Fit resumes from it.
func ParseCheckpoint(b []byte) (*Checkpoint, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(format, a...))
	}
	for _, magic := range []string{"RKCKPT", "RKMOPT"} {
		if bytes.HasPrefix(b, []byte(magic)) {
			return nil, bad("%q is the checkpoint format of an older rakam; checkpoints are safetensors files now and old ones cannot be resumed: restart training without --resume",
				b[:min(len(b), 8)])
		}
	}
	ts, md, err := nn.DecodeTensors(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	format, ok := md[keyFormat]
	if !ok {
		if _, model := md[nn.MetaSpec]; model {
			return nil, bad("a model file (it has %q), not a rakam checkpoint", nn.MetaSpec)
		}
		return nil, bad("no %q in the metadata: not a rakam checkpoint", keyFormat)
	}
	if format != ckptFormat {
		return nil, bad("format %q; this rakam reads format %q", format, ckptFormat)
	}
	sum, err := strconv.ParseUint(md[keyCRC], 16, 32)
	if err != nil || len(md[keyCRC]) != 8 {
		return nil, bad("%s %q: want 8 hex digits", keyCRC, md[keyCRC])
	}
	if got := checksum(ts, md); got != uint32(sum) {
		return nil, bad("checksum %08x; the metadata says %08x (corrupt file)", got, sum)
	}
	if len(md) > maxMetaEntries {
		return nil, bad("%d metadata entries; a checkpoint has at most %d", len(md), maxMetaEntries)
	}
	for k := range md {
		if !knownKeys[k] {
			return nil, bad("unknown metadata key %q", k)
		}
	}
	c := &Checkpoint{}
	m := &c.meta
	integer := func(key string, dst *int64) error {
		v, err := strconv.ParseInt(md[key], 10, 64)
		if err != nil || v < 0 {
			return bad("%s %q: want an integer ≥ 0", key, md[key])
		}
		*dst = v
		return nil
	}
	var epoch, batch int64
	for _, f := range []struct {
		key string
		dst *int64
	}{{keyEpoch, &epoch}, {keyBatch, &batch}, {keyStep, &m.Step}} {
		if err := integer(f.key, f.dst); err != nil {
			return nil, err
		}
	}
	if epoch < 1 || epoch > math.MaxInt32 || batch > math.MaxInt32 {
		return nil, bad("position epoch %d batch %d out of range", epoch, batch)
	}
	m.Epoch, m.Batch = int(epoch-1), int(batch)
	for _, f := range []struct {
		key      string
		dst      any
		optional bool
	}{{keyProgress, &m.Progress, false}, {keyLR, &m.LR, false}, {keyHistory, &m.History, false},
		{keyOptimizer, &c.opt, false}, {keyCallbacks, &m.Callbacks, true}, {keyRNG, &m.RNG, true}} {
		v, ok := md[f.key]
		if !ok && f.optional {
			continue
		}
		if !ok {
			return nil, bad("no %q in the metadata", f.key)
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(f.dst); err != nil {
			return nil, bad("%s: %v", f.key, err)
		}
		if dec.More() {
			return nil, bad("%s: data after the JSON value", f.key)
		}
	}
	if v, ok := md[keyMeta]; ok {
		if !json.Valid([]byte(v)) {
			return nil, bad("%s is not valid JSON", keyMeta)
		}
		m.Meta = json.RawMessage(v)
	}
	p := &m.Progress
	if p.Seen < 0 || p.Correct < 0 || p.Outliers < 0 || p.Correct+p.Outliers > p.Seen {
		return nil, bad("progress seen %d correct %d outliers %d out of range", p.Seen, p.Correct, p.Outliers)
	}
	if err := c.splitTensors(ts); err != nil {
		return nil, bad("%v", err)
	}
	return c, nil
}
