package imageprep

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"

	// Decoders registered with package image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Errors returned by Decode and Prepare. Callers can tell them apart with
// errors.Is; the messages returned carry the detail (dimensions, limits).
var (
	// ErrFormat means the bytes are not an image in a supported format.
	ErrFormat = errors.New("imageprep: not a PNG, JPEG, GIF, BMP, TIFF or WebP image")
	// ErrTooLarge means the file or the image it declares exceeds the Limits.
	ErrTooLarge = errors.New("imageprep: image too large")
	// ErrEmpty means the image has no pixels (0 wide or 0 high).
	ErrEmpty = errors.New("imageprep: image has no pixels")
	// ErrCorrupt means the header was readable but the pixel data was not.
	ErrCorrupt = errors.New("imageprep: corrupt image data")
	// ErrBlank means the image holds no digit: no ink stands out from the
	// background.
	ErrBlank = errors.New("imageprep: blank image: no ink stands out from the background")
)

// Limits bound the resources one image may use. The zero value of a field
// means the default.
type Limits struct {
	// MaxBytes is the largest encoded file accepted (default 64 MiB).
	MaxBytes int64
	// MaxPixels is the largest width*height accepted (default 40 million);
	// a decoded image takes up to 8 bytes per pixel.
	MaxPixels int64
	// MaxSide is the largest width or height accepted (default 16384).
	MaxSide int
}

// DefaultLimits are the limits used when a field of Limits is zero.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxPixels: 40_000_000, MaxSide: 16384}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultLimits.MaxSide
	}
	return l
}

// ReadAll reads an encoded image from r, failing with ErrTooLarge once more
// than l.MaxBytes have been read.
func (l Limits) ReadAll(r io.Reader) ([]byte, error) {
	l = l.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imageprep: read: %w", err)
	}
	if int64(len(data)) > l.MaxBytes {
		return nil, fmt.Errorf("%w: file is larger than %d bytes", ErrTooLarge, l.MaxBytes)
	}
	return data, nil
}

// Decode decodes an encoded image after checking its declared dimensions
// against l. It returns the decoded image and the format name ("png",
// "jpeg", ...).
func (l Limits) Decode(data []byte) (image.Image, string, error) {
	l = l.withDefaults()
	if int64(len(data)) > l.MaxBytes {
		return nil, "", fmt.Errorf("%w: file is %d bytes; the limit is %d", ErrTooLarge, len(data), l.MaxBytes)
	}
	if len(data) == 0 {
		return nil, "", fmt.Errorf("%w: the file is empty", ErrFormat)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, "", ErrFormat
	}
	if err != nil {
		return nil, format, fmt.Errorf("%w: %s header: %v", ErrCorrupt, formatName(format), err)
	}
	if err := l.check(cfg.Width, cfg.Height); err != nil {
		return nil, format, err
	}
	img, err := decodeSafely(data)
	if err != nil {
		return nil, format, fmt.Errorf("%w: %s: %v", ErrCorrupt, format, err)
	}
	// The decoders honour the header, but a GIF frame or TIFF strip could in
	// principle describe other bounds; check what was actually produced.
	b := img.Bounds()
	if err := l.check(b.Dx(), b.Dy()); err != nil {
		return nil, format, err
	}
	return img, format, nil
}

func formatName(f string) string {
	if f == "" {
		return "image"
	}
	return f
}

// check rejects dimensions outside the limits without overflowing.
func (l Limits) check(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: it is %dx%d", ErrEmpty, w, h)
	}
	if w > l.MaxSide || h > l.MaxSide {
		return fmt.Errorf("%w: %dx%d exceeds %d pixels on a side", ErrTooLarge, w, h, l.MaxSide)
	}
	if int64(w)*int64(h) > l.MaxPixels {
		return fmt.Errorf("%w: %dx%d is %.1f megapixels; the limit is %.1f", ErrTooLarge, w, h,
			float64(w)*float64(h)/1e6, float64(l.MaxPixels)/1e6)
	}
	return nil
}

// decodeSafely runs the registered decoder, turning a panic inside a
// third-party decoder on hostile input into an error: a server must not die
// because one upload was malformed.
func decodeSafely(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decoder failed: %v", r)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	return img, err
}
