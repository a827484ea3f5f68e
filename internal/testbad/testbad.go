// Package testbad implements builders of hostile input for rakam's
// reliability tests: small MNIST directories in the IDX format, IDX files
// whose headers lie, gzip and PNG decompression bombs, and damaged
// safetensors model files. It is used only by tests; nothing in it is
// meant to be run by users.
//
// Every builder is deterministic, so a failing test can be repeated byte
// for byte.
package testbad

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/rakam-ml/rakam/mnist"
)

// Head returns a set holding the first n images of s (all of s if n is
// larger).
func Head(s *mnist.Set, n int) *mnist.Set {
	n = min(n, s.N)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return s.Subset(idx)
}

// WriteMNIST writes train and test as the four raw (not gzip) MNIST files
// in dir, which must exist, so that mnist.Locate(dir) and the --data flag
// find them.
func WriteMNIST(dir string, train, test *mnist.Set) error {
	write := func(name string, fn func(w io.Writer) error) error {
		var b bytes.Buffer
		if err := fn(&b); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
	}
	for _, f := range []struct {
		name string
		set  *mnist.Set
		imgs bool
	}{
		{mnist.TrainImagesFile, train, true}, {mnist.TrainLabelsFile, train, false},
		{mnist.TestImagesFile, test, true}, {mnist.TestLabelsFile, test, false},
	} {
		err := write(f.name, func(w io.Writer) error {
			if f.imgs {
				return mnist.WriteImages(w, f.set.Images, f.set.N, f.set.Rows, f.set.Cols)
			}
			return mnist.WriteLabels(w, f.set.Labels)
		})
		if err != nil {
			return fmt.Errorf("testbad: %s: %w", f.name, err)
		}
	}
	return nil
}

// IDXImagesHeader returns the 16-byte header of an IDX image file that
// declares n images of rows x cols, whatever follows it.
func IDXImagesHeader(n, rows, cols uint32) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint32(h[0:], mnist.MagicImages)
	binary.BigEndian.PutUint32(h[4:], n)
	binary.BigEndian.PutUint32(h[8:], rows)
	binary.BigEndian.PutUint32(h[12:], cols)
	return h
}

// Gzip compresses b at the best compression level.
func Gzip(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// GzipBomb returns a gzip file whose content is the IDX header of n images
// of 28x28 followed by expand zero bytes: a file of about expand/800 bytes
// that decompresses far past what its header declares when expand is
// larger than n*784. The zeros are produced in chunks, so building a bomb
// costs CPU (about 3 ms per MiB at the fastest level, used here), not memory.
func GzipBomb(n uint32, expand int64) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	zw.Write(IDXImagesHeader(n, mnist.Rows, mnist.Cols))
	zeros := make([]byte, 1<<20)
	for left := expand; left > 0; left -= int64(len(zeros)) {
		zw.Write(zeros[:min(left, int64(len(zeros)))])
	}
	zw.Close()
	return out.Bytes()
}

// PNGBomb returns a well-formed PNG whose header declares an 8-bit
// grayscale image of width x height pixels, with a tiny IDAT chunk (one
// compressed row of zeros): a decoder that trusts the header would
// allocate width*height bytes before finding the data short.
func PNGBomb(width, height uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(data)))
		b.Write(l[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.BigEndian.PutUint32(l[:], crc.Sum32())
		b.Write(l[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8] = 8 // bit depth
	ihdr[9] = 0 // grayscale
	chunk("IHDR", ihdr)
	// One row (a filter byte and width zero pixels, at most 4096 here):
	// the decoder must give up before it ever gets this far.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1+min(width, 4096)))
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// Safetensors is a parsed safetensors file: its JSON header, entry by
// entry, and its data region. It lets tests change one thing in a valid
// file and write it back.
type Safetensors struct {
	Header map[string]json.RawMessage
	Data   []byte
}

// ParseSafetensors splits a valid safetensors file into header and data.
func ParseSafetensors(b []byte) (*Safetensors, error) {
	if len(b) < 8 {
		return nil, errors.New("testbad: safetensors file shorter than 8 bytes")
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("testbad: header length %d past the end of %d bytes", n, len(b))
	}
	s := &Safetensors{Data: slices.Clone(b[8+n:])}
	if err := json.Unmarshal(b[8:8+n], &s.Header); err != nil {
		return nil, fmt.Errorf("testbad: header: %w", err)
	}
	return s, nil
}

// Bytes encodes s as a safetensors file (header padded to 8 bytes).
func (s *Safetensors) Bytes() []byte {
	keys := make([]string, 0, len(s.Header))
	for k := range s.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var h bytes.Buffer
	h.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			h.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		h.Write(kb)
		h.WriteByte(':')
		h.Write(s.Header[k])
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	return append(out, s.Data...)
}

// Metadata returns the "__metadata__" entry.
func (s *Safetensors) Metadata() (map[string]string, error) {
	m := map[string]string{}
	if raw, ok := s.Header["__metadata__"]; ok {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("testbad: __metadata__: %w", err)
		}
	}
	return m, nil
}

// SetMetadata replaces the "__metadata__" entry.
func (s *Safetensors) SetMetadata(m map[string]string) {
	b, _ := json.Marshal(m)
	s.Header["__metadata__"] = b
}

// SetFloat stores v as the i-th float32 of the data region.
func (s *Safetensors) SetFloat(i int, v float32) {
	binary.LittleEndian.PutUint32(s.Data[4*i:], math.Float32bits(v))
}

// WithHeaderLength returns a copy of a safetensors file whose first 8 bytes
// declare a JSON header of n bytes.
func WithHeaderLength(b []byte, n uint64) []byte {
	out := slices.Clone(b)
	binary.LittleEndian.PutUint64(out, n)
	return out
}
