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
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
)

// CheckpointFile is the name of the checkpoint inside a checkpoint
// directory. It is replaced atomically, so a crash at any moment leaves the
// previous checkpoint or the new one.
const CheckpointFile = "checkpoint.rkc"

// The checkpoint file:
//
//	magic  "RKCKPT01"
//	n      uint64, little-endian: length of the JSON header
//	header n bytes of JSON (ckptMeta)
//	data   the tensors (float32, little-endian) one after another, then the
//	       optimiser state; the header gives offsets and a CRC-32C.
const ckptMagic = "RKCKPT01"

const (
	ckptFormat     = 1
	maxHeaderBytes = 64 << 20
)

// ErrCheckpoint is wrapped by every error reading a checkpoint.
var ErrCheckpoint = errors.New("train: invalid checkpoint")

type ckptTensor struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"` // bytes into data
}

type ckptMeta struct {
	Format       int                        `json:"format"`
	Created      string                     `json:"created"`
	Epoch        int                        `json:"epoch"` // 0-based epoch in progress
	Batch        int                        `json:"batch"` // batches of it done
	Step         int64                      `json:"step"`
	LossSum      float64                    `json:"loss_sum"`
	Correct      int                        `json:"correct"`
	Seen         int                        `json:"seen"`
	EpochSeconds float64                    `json:"epoch_seconds"`
	LRScale      float64                    `json:"lr_scale"`
	MinLR        float64                    `json:"min_lr"`
	History      History                    `json:"history"`
	Callbacks    map[string]json.RawMessage `json:"callbacks,omitempty"`
	RNG          [][]byte                   `json:"rng,omitempty"` // one per random layer, in order
	Tensors      []ckptTensor               `json:"tensors"`
	Optimizer    string                     `json:"optimizer"`
	OptOffset    int64                      `json:"optimizer_offset"`
	OptLen       int64                      `json:"optimizer_length"`
	DataLen      int64                      `json:"data_length"`
	CRC32C       uint32                     `json:"crc32c"`
	Meta         json.RawMessage            `json:"meta,omitempty"`
}

// Checkpoint is a training run's saved state.
type Checkpoint struct {
	Path string
	meta ckptMeta
	data []byte
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

func checkDir(dir string) error {
	if err := atomicfile.CheckWritable(dir); err != nil {
		return fmt.Errorf("train: checkpoint %w", err)
	}
	return nil
}

func writeCheckpoint(dir string, t *trainer, r *Run, cbs []Callback, meta json.RawMessage) error {
	m := ckptMeta{Format: ckptFormat, Created: time.Now().UTC().Format(time.RFC3339),
		Epoch: t.epoch, Batch: t.batch, Step: t.step, LossSum: t.lossSum, Correct: t.correct, Seen: t.seen,
		EpochSeconds: t.epochSeconds, LRScale: r.LRScale, MinLR: r.MinLR, History: *r.History,
		Optimizer: t.opt.Name(), Meta: meta}
	var data bytes.Buffer
	var off int64
	for _, p := range t.model.Tensors() {
		m.Tensors = append(m.Tensors, ckptTensor{Name: p.Name, Shape: p.Value.Shape, Offset: off})
		var b [4]byte
		for _, v := range p.Value.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			data.Write(b[:])
		}
		off += 4 * int64(len(p.Value.Data))
	}
	opt, err := t.opt.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	m.OptOffset, m.OptLen = off, int64(len(opt))
	data.Write(opt)
	m.DataLen = int64(data.Len())
	m.CRC32C = crc32.Checksum(data.Bytes(), crcTable)
	for _, rl := range t.model.RandomLayers() {
		b, err := rl.MarshalRNG()
		if err != nil {
			return fmt.Errorf("train: checkpoint: %w", err)
		}
		m.RNG = append(m.RNG, b)
	}
	for _, c := range cbs {
		if s, ok := c.(Stateful); ok {
			b, err := s.MarshalState()
			if err != nil {
				return fmt.Errorf("train: checkpoint: %s: %w", c.Name(), err)
			}
			if m.Callbacks == nil {
				m.Callbacks = map[string]json.RawMessage{}
			}
			m.Callbacks[c.Name()] = b
		}
	}
	hdr, err := json.Marshal(&m)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	path := filepath.Join(dir, CheckpointFile)
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
		for _, b := range [][]byte{[]byte(ckptMagic), n[:], hdr, data.Bytes()} {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// LoadCheckpoint reads the checkpoint in dir (or the file dir itself, when
// it names one).
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	path := dir
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		path = filepath.Join(dir, CheckpointFile)
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

// ParseCheckpoint decodes a checkpoint file's bytes, checking the header's
// offsets against the data and the data against its CRC-32C.
func ParseCheckpoint(b []byte) (*Checkpoint, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(format, a...))
	}
	if len(b) < len(ckptMagic)+8 {
		return nil, bad("%d bytes is too short for a checkpoint", len(b))
	}
	if string(b[:len(ckptMagic)]) != ckptMagic {
		return nil, bad("bad magic %q (not a rakam checkpoint)", b[:len(ckptMagic)])
	}
	n := binary.LittleEndian.Uint64(b[8:16])
	if n > maxHeaderBytes || n > uint64(len(b)-16) {
		return nil, bad("header length %d at byte 8 exceeds the file (%d bytes)", n, len(b))
	}
	c := &Checkpoint{}
	dec := json.NewDecoder(bytes.NewReader(b[16 : 16+n]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.meta); err != nil {
		return nil, bad("header: %v", err)
	}
	m := &c.meta
	if m.Format != ckptFormat {
		return nil, bad("format %d; this rakam reads format %d", m.Format, ckptFormat)
	}
	c.data = b[16+n:]
	if m.DataLen != int64(len(c.data)) {
		return nil, bad("header says %d data bytes; file has %d (truncated?)", m.DataLen, len(c.data))
	}
	if crc := crc32.Checksum(c.data, crcTable); crc != m.CRC32C {
		return nil, bad("data checksum %08x; header says %08x (corrupt file)", crc, m.CRC32C)
	}
	if m.Epoch < 0 || m.Batch < 0 || m.Step < 0 || m.Seen < 0 || m.Correct < 0 || m.Correct > m.Seen {
		return nil, bad("position epoch %d batch %d step %d seen %d correct %d out of range", m.Epoch, m.Batch, m.Step, m.Seen, m.Correct)
	}
	var end int64
	for _, t := range m.Tensors {
		size := int64(4)
		for _, d := range t.Shape {
			if d < 0 || d > 1<<30 || size*int64(d) > m.DataLen {
				return nil, bad("tensor %s: shape %v does not fit the data", t.Name, t.Shape)
			}
			size *= int64(d)
		}
		if t.Offset != end {
			return nil, bad("tensor %s at offset %d; expected %d", t.Name, t.Offset, end)
		}
		end += size
		if end > m.DataLen {
			return nil, bad("tensor %s ends at %d, past the %d data bytes", t.Name, end, m.DataLen)
		}
	}
	if m.OptOffset != end || m.OptLen < 0 || m.OptOffset+m.OptLen != m.DataLen {
		return nil, bad("optimizer state at %d+%d does not end the %d data bytes", m.OptOffset, m.OptLen, m.DataLen)
	}
	return c, nil
}

// restore loads the checkpoint into a freshly built trainer.
func (c *Checkpoint) restore(t *trainer, r *Run, cbs []Callback) error {
	m := &c.meta
	ts := t.model.Tensors()
	if len(ts) != len(m.Tensors) {
		return fmt.Errorf("train: checkpoint %s holds %d tensors; the model has %d (different model?)", c.Path, len(m.Tensors), len(ts))
	}
	for i, p := range ts {
		ct := m.Tensors[i]
		if ct.Name != p.Name || !sameShape(ct.Shape, p.Value.Shape) {
			return fmt.Errorf("train: checkpoint %s: tensor %d is %s %v; the model has %s %v (different model?)",
				c.Path, i, ct.Name, ct.Shape, p.Name, p.Value.Shape)
		}
	}
	if m.Optimizer != t.opt.Name() {
		return fmt.Errorf("train: checkpoint %s was trained with %s, not %s", c.Path, m.Optimizer, t.opt.Name())
	}
	rls := t.model.RandomLayers()
	if len(rls) != len(m.RNG) {
		return fmt.Errorf("train: checkpoint %s holds %d random-number states; the model has %d random layers", c.Path, len(m.RNG), len(rls))
	}
	if err := t.opt.UnmarshalBinary(c.data[m.OptOffset : m.OptOffset+m.OptLen]); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", c.Path, err)
	}
	for i, rl := range rls {
		if err := rl.UnmarshalRNG(m.RNG[i]); err != nil {
			return fmt.Errorf("train: checkpoint %s: random layer %d: %w", c.Path, i, err)
		}
	}
	for _, cb := range cbs {
		s, ok := cb.(Stateful)
		if !ok {
			continue
		}
		if st, ok := m.Callbacks[cb.Name()]; ok {
			if err := s.UnmarshalState(st); err != nil {
				return fmt.Errorf("train: checkpoint %s: callback %s: %w", c.Path, cb.Name(), err)
			}
		}
	}
	for i, p := range ts {
		raw := c.data[m.Tensors[i].Offset:]
		for j := range p.Value.Data {
			p.Value.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
	}
	t.epoch, t.batch, t.step = m.Epoch, m.Batch, m.Step
	t.lossSum, t.correct, t.seen, t.epochSeconds = m.LossSum, m.Correct, m.Seen, m.EpochSeconds
	r.LRScale, r.MinLR = m.LRScale, m.MinLR
	if r.LRScale == 0 {
		r.LRScale = 1
	}
	r.Stop = m.History.StoppedEarly
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
