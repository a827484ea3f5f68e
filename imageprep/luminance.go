package imageprep

import (
	"image"
	"image/color"
)

// workMax is the longest side of the working plane: larger images are first
// reduced by an integer factor with area averaging. A digit that fills even
// a tenth of the frame still spans 100 working pixels, five times the 20
// pixels it ends up with.
const workMax = 1024

// Rec. 601 luma weights, the ones JPEG's Y channel uses.
const (
	lumR = 0.299
	lumG = 0.587
	lumB = 0.114
)

// rowReader fills lum and alpha (both of length Dx, values in 0..1) for row y
// of the image (y counted from Bounds().Min.Y). lum is premultiplied by alpha.
type rowReader func(y int, lum, alpha []float32)

func newRowReader(img image.Image) rowReader {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.Gray:
		return func(y int, lum, alpha []float32) {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, p := range row {
				lum[x] = float32(p) / 255
				alpha[x] = 1
			}
		}
	case *image.YCbCr:
		return func(y int, lum, alpha []float32) {
			row := m.Y[y*m.YStride : y*m.YStride+w]
			for x, p := range row {
				lum[x] = float32(p) / 255
				alpha[x] = 1
			}
		}
	case *image.RGBA:
		return func(y int, lum, alpha []float32) {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+4 : 4*x+4]
				lum[x] = (float32(lumR*float32(p[0])) + float32(lumG*float32(p[1])) + float32(lumB*float32(p[2]))) / 255
				alpha[x] = float32(p[3]) / 255
			}
		}
	case *image.NRGBA:
		return func(y int, lum, alpha []float32) {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := float32(p[3]) / 255
				lum[x] = a * (float32(lumR*float32(p[0])) + float32(lumG*float32(p[1])) + float32(lumB*float32(p[2]))) / 255
				alpha[x] = a
			}
		}
	case *image.Paletted:
		// Precompute each palette entry once.
		var pl, pa [256]float32
		for i, c := range m.Palette {
			if i >= 256 {
				break
			}
			pl[i], pa[i] = premultipliedLuma(c)
		}
		return func(y int, lum, alpha []float32) {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, p := range row {
				// An index outside the palette decodes as transparent black.
				lum[x], alpha[x] = pl[p], pa[p]
			}
		}
	default:
		return func(y int, lum, alpha []float32) {
			yy := b.Min.Y + y
			for x := range w {
				lum[x], alpha[x] = premultipliedLuma(img.At(b.Min.X+x, yy))
			}
		}
	}
}

func premultipliedLuma(c color.Color) (lum, alpha float32) {
	r, g, bl, a := c.RGBA() // premultiplied, 16 bits
	return (float32(lumR*float32(r)) + float32(lumG*float32(g)) + float32(lumB*float32(bl))) / 65535, float32(a) / 65535
}

// plane is a float32 image, row-major, values in 0..1.
type plane struct {
	w, h int
	p    []float32
}

// luminancePlane converts img to luminance, compositing transparent pixels
// onto a background that contrasts with the visible content, and reduces it
// by an integer factor f (returned) so that no side exceeds workMax.
// visible is false when every pixel is fully transparent.
func luminancePlane(img image.Image) (pl plane, f int, visible bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	read := newRowReader(img)
	lum := make([]float32, w)
	alpha := make([]float32, w)

	// Transparent pixels have no colour of their own. A canvas or a cut-out
	// usually holds dark ink on transparency (composite onto white) or light
	// ink on transparency (composite onto black): choose the background
	// opposite to the mean visible luminance.
	var bg float32
	opaque := false
	if o, ok := img.(interface{ Opaque() bool }); ok {
		opaque = o.Opaque()
	}
	if !opaque {
		var sumL, sumA float64
		for y := range h {
			read(y, lum, alpha)
			for x := range w {
				sumL += float64(lum[x])
				sumA += float64(alpha[x])
			}
		}
		if sumA < 0.5 {
			return plane{}, 1, false
		}
		if sumL/sumA < 0.5 {
			bg = 1
		}
	}

	f = (max(w, h) + workMax - 1) / workMax
	pw, ph := (w+f-1)/f, (h+f-1)/f
	pl = plane{w: pw, h: ph, p: make([]float32, pw*ph)}
	for y := range h {
		read(y, lum, alpha)
		dst := pl.p[(y/f)*pw : (y/f+1)*pw]
		if f == 1 {
			for x := range w {
				dst[x] = lum[x] + float32(bg*(1-alpha[x]))
			}
			continue
		}
		for x := range w {
			dst[x/f] += lum[x] + float32(bg*(1-alpha[x]))
		}
	}
	if f > 1 {
		// Divide each cell by the number of source pixels it covered (cells
		// on the right and bottom edges may cover fewer).
		for cy := range ph {
			ny := min(f, h-cy*f)
			for cx := range pw {
				nx := min(f, w-cx*f)
				pl.p[cy*pw+cx] /= float32(nx * ny)
			}
		}
	}
	return pl, f, true
}
