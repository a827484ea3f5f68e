package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte)
// and the number of dimensions.
const (
	MagicImages = 0x00000803
	MagicLabels = 0x00000801
)

// MaxBytes is the largest data section the reader accepts (1 GiB, about 22
// times the MNIST training images). Larger headers are rejected up front.
const MaxBytes = 1 << 30

// NumClasses is the number of digit classes; labels are 0..NumClasses-1.
// It is the project's one class count: train.Classes and serve.Classes
// refer to it.
const NumClasses = 10

// Sentinel errors, wrapped by *FormatError. Input that stops part-way wraps
// io.ErrUnexpectedEOF.
var (
	ErrBadMagic      = errors.New("mnist: bad magic number")
	ErrTooLarge      = errors.New("mnist: declared size too large")
	ErrBadShape      = errors.New("mnist: bad image shape")
	ErrLabelRange    = errors.New("mnist: label out of range")
	ErrCountMismatch = errors.New("mnist: image and label counts differ")
	ErrTrailingData  = errors.New("mnist: trailing data after declared size")
	ErrNotFound      = errors.New("mnist: data not found")
)

// notFoundError is an ErrNotFound with its own wording, so that messages do
// not repeat "data not found" after saying what is missing.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return ErrNotFound }

func notFoundf(format string, a ...any) error {
	return &notFoundError{msg: fmt.Sprintf(format, a...)}
}

// FormatError describes a problem in one IDX file.
type FormatError struct {
	File   string // file name as given to the reader
	Offset int64  // byte offset of the problem in the (decompressed) IDX stream, or -1
	Msg    string // what is wrong, e.g. "bad magic 0x00000802, want 0x00000803"
	Err    error  // sentinel: ErrBadMagic, io.ErrUnexpectedEOF, ...
}

// Error returns "mnist: FILE: MSG"; MSG mentions the offset where it helps.
func (e *FormatError) Error() string {
	return fmt.Sprintf("mnist: %s: %s", e.File, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// maxDeflateRatio bounds how much deflate can expand its input (the format's
// limit is about 1032:1); used to reject impossible headers in gzip files of
// known size before reading.
const maxDeflateRatio = 1032

// idxReader wraps the input: it detects gzip, counts decompressed bytes and
// knows, when it can, how many bytes the file can hold at most.
type idxReader struct {
	name   string
	r      io.Reader
	off    int64
	limit  int64 // upper bound on the decompressed size, or -1 if unknown
	isize  int64 // gzip trailer's length mod 2^32, or -1 if unknown
	isGzip bool
}

func knownSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }: // *bytes.Reader, *bytes.Buffer, *strings.Reader
		return int64(v.Len())
	case interface{ Stat() (fs.FileInfo, error) }: // *os.File
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			if s, ok := r.(io.Seeker); ok {
				if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
					return fi.Size() - pos
				}
			}
			return fi.Size()
		}
	}
	return -1
}

// gzipTrailerSize reads ISIZE, the decompressed length mod 2^32 that ends a
// single-member gzip file, when r can be read at an offset; else -1. It is
// only a hint: body trusts it for an exact allocation when it agrees with the
// IDX header, and still checks every byte.
func gzipTrailerSize(r io.Reader, size int64) int64 {
	ra, ok1 := r.(io.ReaderAt)
	sk, ok2 := r.(io.Seeker)
	if !ok1 || !ok2 || size < 18 {
		return -1
	}
	pos, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return -1
	}
	var b [4]byte
	if _, err := ra.ReadAt(b[:], pos+size-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(b[:]))
}

func newIDXReader(r io.Reader, name string) (*idxReader, error) {
	size := knownSize(r)
	isize := int64(-1)
	if size >= 0 {
		isize = gzipTrailerSize(r, size) // before reading moves the offset
	}
	br := bufio.NewReaderSize(r, 64<<10)
	ir := &idxReader{name: name, r: br, limit: size, isize: -1}
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, ir.errf(0, err, "truncated header: the file has %d bytes", len(head))
	}
	if head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, &FormatError{File: name, Offset: -1, Msg: "bad gzip header: " + err.Error(), Err: err}
		}
		gz.Multistream(false)
		ir.r, ir.isGzip = gz, true
		if size >= 0 {
			ir.limit = size * maxDeflateRatio
			ir.isize = isize
		}
	}
	return ir, nil
}

func (ir *idxReader) errf(off int64, sentinel error, format string, a ...any) error {
	return &FormatError{File: ir.name, Offset: off, Msg: fmt.Sprintf(format, a...), Err: sentinel}
}

// readErr turns a read failure at offset off into a FormatError; gzip's own
// errors (bad checksum, corrupt stream) are kept as the wrapped error.
func (ir *idxReader) readErr(off int64, err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if ir.isGzip {
			return ir.errf(off, io.ErrUnexpectedEOF, "truncated gzip stream after %d bytes of IDX data (%s)", off, what)
		}
		return ir.errf(off, io.ErrUnexpectedEOF, "truncated at byte %d (%s)", off, what)
	}
	if ir.isGzip {
		return ir.errf(off, err, "corrupt gzip data after %d bytes of IDX data (%s): %v", off, what, err)
	}
	return ir.errf(off, err, "reading %s at byte %d: %v", what, off, err)
}

// header reads the magic number and n dimensions.
func (ir *idxReader) header(magic uint32, ndims int) ([]uint32, error) {
	buf := make([]byte, 4*(1+ndims))
	n, err := io.ReadFull(ir.r, buf)
	ir.off += int64(n)
	if n >= 4 {
		if got := binary.BigEndian.Uint32(buf); got != magic {
			what := "images"
			if magic == MagicLabels {
				what = "labels"
			}
			hint := ""
			switch got {
			case MagicImages:
				hint = " (this is an image file)"
			case MagicLabels:
				hint = " (this is a label file)"
			}
			return nil, ir.errf(0, ErrBadMagic, "bad magic 0x%08x, want 0x%08x for %s%s", got, magic, what, hint)
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ir.errf(ir.off, io.ErrUnexpectedEOF, "truncated header: %d of %d bytes", n, len(buf))
		}
		return nil, ir.readErr(ir.off, err, "header")
	}
	dims := make([]uint32, ndims)
	for i := range dims {
		dims[i] = binary.BigEndian.Uint32(buf[4*(i+1):])
	}
	return dims, nil
}

// body reads exactly size bytes, growing its buffer only as data arrives, so
// a header that lies costs at most twice the bytes actually present. It then
// checks that the stream ends there (which also makes gzip verify its CRC).
func (ir *idxReader) body(size int64, what string) ([]byte, error) {
	if size < 0 || size > MaxBytes {
		return nil, ir.errf(ir.off, ErrTooLarge, "header declares %s (%d bytes), more than the limit of %d bytes", what, size, int64(MaxBytes))
	}
	if ir.limit >= 0 && ir.off+size > ir.limit {
		if ir.isGzip {
			return nil, ir.errf(ir.off, ErrTooLarge, "header declares %s (%d bytes), more than a gzip file of %d bytes can hold", what, size, ir.limit/maxDeflateRatio)
		}
		return nil, ir.errf(ir.limit, io.ErrUnexpectedEOF, "truncated: %s need a file of %d bytes but it has %d", what, ir.off+size, ir.limit)
	}
	const chunk = 1 << 20
	var buf []byte
	switch {
	case ir.limit >= 0 && !ir.isGzip:
		buf = make([]byte, 0, size) // the file holds it: checked above
	case ir.isize >= 0 && uint32(ir.off+size) == uint32(ir.isize):
		// The gzip trailer agrees with the header, and the size is within
		// what the compressed file can expand to (checked above).
		buf = make([]byte, 0, size)
	default:
		buf = make([]byte, 0, min(size, chunk))
	}
	start := ir.off
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		want := min(int64(cap(buf)-len(buf)), chunk)
		n, err := io.ReadFull(ir.r, buf[len(buf):len(buf)+int(want)])
		buf = buf[:len(buf)+n]
		ir.off += int64(n)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, ir.errf(ir.off, io.ErrUnexpectedEOF, "truncated at byte %d: %s need %d bytes", ir.off, what, start+size)
			}
			return nil, ir.readErr(ir.off, err, what)
		}
	}
	// One more byte must not exist. Reading it drives gzip to its trailer,
	// where it checks the CRC-32 and length of what it produced.
	var one [1]byte
	n, err := io.ReadFull(ir.r, one[:])
	if n > 0 {
		return nil, ir.errf(ir.off, ErrTrailingData, "trailing data after the %d bytes the header declares", ir.off)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, ir.readErr(ir.off, err, what)
	}
	return buf, nil
}

// ReadImages decodes an IDX image file (raw or gzip) from r. name is used in
// errors. It returns the pixels as n*rows*cols bytes, row-major, one image
// after another. Any rows and cols above zero are accepted here; LoadTrain
// and LoadTest require 28x28.
func ReadImages(r io.Reader, name string) (pix []uint8, n, rows, cols int, err error) {
	ir, err := newIDXReader(r, name)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	dims, err := ir.header(MagicImages, 3)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if dims[1] == 0 || dims[2] == 0 {
		return nil, 0, 0, 0, ir.errf(ir.off, ErrBadShape, "image size %dx%d, want rows and cols above zero", dims[1], dims[2])
	}
	// rows*cols < 2^64 in uint64; once it is at most MaxBytes (2^30),
	// count*per < 2^62 cannot overflow either.
	per64 := uint64(dims[1]) * uint64(dims[2])
	per := int64(per64)
	if per64 > MaxBytes {
		return nil, 0, 0, 0, ir.errf(ir.off, ErrTooLarge, "image size %dx%d is larger than the limit of %d bytes", dims[1], dims[2], int64(MaxBytes))
	}
	size := int64(dims[0]) * per
	pix, err = ir.body(size, fmt.Sprintf("%d images of %dx%d", dims[0], dims[1], dims[2]))
	if err != nil {
		return nil, 0, 0, 0, err
	}
	return pix, int(dims[0]), int(dims[1]), int(dims[2]), nil
}

// ReadLabels decodes an IDX label file (raw or gzip) from r and checks that
// every label is a digit 0..9. name is used in errors.
func ReadLabels(r io.Reader, name string) ([]uint8, error) {
	ir, err := newIDXReader(r, name)
	if err != nil {
		return nil, err
	}
	dims, err := ir.header(MagicLabels, 1)
	if err != nil {
		return nil, err
	}
	labels, err := ir.body(int64(dims[0]), fmt.Sprintf("%d labels", dims[0]))
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= NumClasses {
			return nil, &FormatError{File: name, Offset: 8 + int64(i), Err: ErrLabelRange,
				Msg: fmt.Sprintf("label %d out of range 0..%d at index %d", l, NumClasses-1, i)}
		}
	}
	return labels, nil
}

// WriteImages encodes n images of rows x cols bytes as a raw IDX image file.
// Wrap w in a gzip.Writer for a compressed file.
func WriteImages(w io.Writer, pix []uint8, n, rows, cols int) error {
	if n < 0 || rows <= 0 || cols <= 0 || int64(n)*int64(rows)*int64(cols) != int64(len(pix)) {
		return fmt.Errorf("mnist: WriteImages: %d pixels do not make %d images of %dx%d", len(pix), n, rows, cols)
	}
	if uint64(n) > 1<<32-1 || uint64(rows) > 1<<32-1 || uint64(cols) > 1<<32-1 {
		return fmt.Errorf("mnist: WriteImages: dimensions %d, %d, %d do not fit in uint32", n, rows, cols)
	}
	var h [16]byte
	binary.BigEndian.PutUint32(h[0:], MagicImages)
	binary.BigEndian.PutUint32(h[4:], uint32(n))
	binary.BigEndian.PutUint32(h[8:], uint32(rows))
	binary.BigEndian.PutUint32(h[12:], uint32(cols))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("mnist: write images: %w", err)
	}
	if _, err := w.Write(pix); err != nil {
		return fmt.Errorf("mnist: write images: %w", err)
	}
	return nil
}

// WriteLabels encodes labels as a raw IDX label file. It does not check the
// range, so tests can write bad files; ReadLabels does.
func WriteLabels(w io.Writer, labels []uint8) error {
	if uint64(len(labels)) > 1<<32-1 {
		return fmt.Errorf("mnist: WriteLabels: %d labels do not fit in uint32", len(labels))
	}
	var h [8]byte
	binary.BigEndian.PutUint32(h[0:], MagicLabels)
	binary.BigEndian.PutUint32(h[4:], uint32(len(labels)))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("mnist: write labels: %w", err)
	}
	if _, err := w.Write(labels); err != nil {
		return fmt.Errorf("mnist: write labels: %w", err)
	}
	return nil
}
