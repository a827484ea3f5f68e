package imageprep

import (
	"fmt"
	"image"
)

// The MNIST frame.
const (
	Size = 28 // side of the frame
	Box  = 20 // the digit's longer side is scaled to this
)

// Digit is an image prepared the MNIST way.
type Digit struct {
	// Pixels holds Size*Size values in 0..1, row-major: the model's input.
	// They are multiples of 1/255, exactly the pixels of Gray.
	Pixels []float32
	// Gray is the same 28x28 as an 8-bit image (white digit on black).
	Gray *image.Gray
	// Inverted reports that the source had dark ink on a light background.
	Inverted bool
	// Ink is the ink's bounding box in the source image's coordinates
	// (after EXIF orientation, for a JPEG that has one: as displayed).
	Ink image.Rectangle
}

// Prepare decodes an encoded image within DefaultLimits and prepares it.
func Prepare(data []byte) (*Digit, error) { return DefaultLimits.Prepare(data) }

// Prepare decodes an encoded image within l and prepares it. A JPEG's EXIF
// orientation is applied, so a phone photo stored on its side is read
// upright.
func (l Limits) Prepare(data []byte) (*Digit, error) {
	img, format, err := l.Decode(data)
	if err != nil {
		return nil, err
	}
	o := 1
	if format == "jpeg" {
		o = exifOrientation(data)
	}
	return fromImage(img, o)
}

// FromImage prepares a decoded image. It fails with ErrEmpty for an image
// with no pixels and ErrBlank when no ink stands out from the background.
func FromImage(img image.Image) (*Digit, error) { return fromImage(img, 1) }

func fromImage(img image.Image, orientation int) (*Digit, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("%w: it is %dx%d", ErrEmpty, b.Dx(), b.Dy())
	}
	pl, f, visible := luminancePlane(img)
	if !visible {
		return nil, fmt.Errorf("%w (every pixel is transparent)", ErrBlank)
	}
	pl = orient(pl, orientation)
	if orientation >= 5 {
		b = image.Rect(b.Min.Y, b.Min.X, b.Max.Y, b.Max.X) // upright bounds
	}
	ink, box, inverted, err := findInk(pl)
	if err != nil {
		return nil, err
	}
	// A photo of a sheet on a darker desk: the sheet itself stands out from
	// the border as one solid block. Look for the digit on the sheet.
	if sheet, ok := isSheet(ink, box); ok {
		if sink, sbox, sinv, err := findInk(cropPlane(pl, sheet)); err == nil {
			ink, box, inverted = sink, sbox, sinv
			box = box.Add(sheet.Min)
			ink = plane{pl.w, pl.h, uncrop(sink, sheet, pl.w, pl.h)}
		}
	}
	crop := cropPlane(ink, box)
	crop, soft := sharpen(crop)
	if !soft {
		crop = thinStrokes(crop)
	}
	crop = thickenStrokes(crop)
	small := resampleToBox(crop)
	d := place(small)
	d.Inverted = inverted
	d.Ink = image.Rect(box.Min.X*f, box.Min.Y*f, min(box.Max.X*f, b.Dx()), min(box.Max.Y*f, b.Dy())).Add(b.Min)
	return d, nil
}
