package imageprep

import (
	"fmt"
	"image"
	"math"
)

// The MNIST frame.
const (
	Size = 28 // side of the frame
	Box  = 20 // the digit's longer side is scaled to this
)

// Stroke widths in output pixels: MNIST's strokes measure about 2.8 px
// (twice the area over the boundary of the pixels above 0.5); thinner ink,
// a fine pen photographed large, is thickened to targetStroke.
const (
	minStroke    = 2.0
	targetStroke = 2.6
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
	crop = thickenStrokes(crop)
	small := resampleToBox(crop)
	d := place(small)
	d.Inverted = inverted
	d.Ink = image.Rect(box.Min.X*f, box.Min.Y*f, min(box.Max.X*f, b.Dx()), min(box.Max.Y*f, b.Dy())).Add(b.Min)
	return d, nil
}

// findInk separates ink from background and returns it with the bounding
// box of the digit.
func findInk(pl plane) (plane, image.Rectangle, bool, error) {
	ink, inverted, err := extractInk(pl)
	if err != nil {
		return plane{}, image.Rectangle{}, false, err
	}
	box, ok := keepDigit(ink)
	if !ok {
		return plane{}, image.Rectangle{}, false, ErrBlank
	}
	return ink, box, inverted, nil
}

// isSheet reports whether the "ink" is a solid block covering much of the
// image, as a sheet of paper photographed on a dark desk is, and returns
// the block shrunk by 4% on each side (to leave out the sheet's edges). No
// digit fills 70% of its bounding box.
func isSheet(ink plane, box image.Rectangle) (image.Rectangle, bool) {
	area := box.Dx() * box.Dy()
	if area < ink.w*ink.h/5 {
		return image.Rectangle{}, false
	}
	var filled int
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for _, v := range ink.p[y*ink.w+box.Min.X : y*ink.w+box.Max.X] {
			if v > 0.5 {
				filled++
			}
		}
	}
	if filled*10 < area*7 {
		return image.Rectangle{}, false
	}
	mx, my := max(1, box.Dx()/25), max(1, box.Dy()/25)
	inner := image.Rect(box.Min.X+mx, box.Min.Y+my, box.Max.X-mx, box.Max.Y-my)
	if inner.Dx() < 8 || inner.Dy() < 8 {
		return image.Rectangle{}, false
	}
	return inner, true
}

// uncrop returns a w x h plane holding p at r, zero elsewhere.
func uncrop(p plane, r image.Rectangle, w, h int) []float32 {
	out := make([]float32, w*h)
	for y := range p.h {
		copy(out[(r.Min.Y+y)*w+r.Min.X:], p.p[y*p.w:(y+1)*p.w])
	}
	return out
}

// extractInk subtracts the fitted background and returns the ink strength in
// 0..1 (0 = background, 1 = the ink's typical darkest or brightest level),
// with noise below the threshold cut. inverted reports dark ink on a light
// background.
func extractInk(pl plane) (ink plane, inverted bool, err error) {
	bg := fitBackground(pl)
	// Sensor noise: 4 sigma of the border's spread around the surface; below
	// 0.06 (15/255) nothing a person would call ink.
	tau := float32(max(4*bg.sigma, 0.06))
	res := make([]float32, len(pl.p))
	var pos, neg float64
	for y := range pl.h {
		row := bg.row(y)
		for x := range pl.w {
			i := y*pl.w + x
			r := pl.p[i] - row.at(x)
			res[i] = r
			if r > tau {
				pos += float64(r - tau)
			} else if r < -tau {
				neg += float64(-r - tau)
			}
		}
	}
	if pos == 0 && neg == 0 {
		return plane{}, false, ErrBlank
	}
	// The ink is on the side of the background with the larger deviations.
	// A tie is settled by the border: light paper means dark ink.
	inverted = neg > pos || (neg == pos && bg.border > 0.5)
	if inverted {
		// Paper reflects light: what the camera sees is reflectance times
		// illumination, so dark ink is measured relative to the local paper
		// level (scaled to the median border level, which tau refers to).
		// Ink in a shadow then weighs as much as ink in full light.
		ref := float32(max(bg.border, 0.05))
		for y := range pl.h {
			row := bg.row(y)
			for x := range pl.w {
				i := y*pl.w + x
				res[i] = -res[i] * ref / max(row.at(x), 0.05)
			}
		}
	}

	// Peak: the 95th percentile of the pixels above the noise threshold, so a
	// few saturated pixels do not make the whole digit faint.
	var hist [1024]int
	n := 0
	for _, r := range res {
		if r > tau {
			hist[min(int(r*1023), 1023)]++
			n++
		}
	}
	want, seen := int(math.Ceil(0.95*float64(n))), 0
	peak := tau
	for i, c := range hist {
		seen += c
		if seen >= want {
			peak = max(tau, float32(i)/1023)
			break
		}
	}
	// Ink that barely clears the noise floor is noise itself.
	if peak < 1.6*tau {
		return plane{}, false, ErrBlank
	}
	span := peak - tau
	for i, r := range res {
		switch {
		case r <= tau:
			res[i] = 0
		case span < 1e-3:
			res[i] = 1
		default:
			res[i] = min((r-tau)/span, 1)
		}
	}
	return plane{pl.w, pl.h, res}, inverted, nil
}

// minInkMass is the least ink, in full-strength pixels, that makes a digit:
// less is a speck of dust.
const minInkMass = 3

// keepDigit finds the 8-connected components of the ink, zeroes those whose
// ink mass is under 3% of the largest (specks of dust or noise), and returns
// the bounding box of the rest.
func keepDigit(ink plane) (image.Rectangle, bool) {
	w, h := ink.w, ink.h
	parent := make([]int32, w*h)
	for i := range parent {
		parent[i] = -1 // -1: background
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			if ink.p[i] == 0 {
				continue
			}
			parent[i] = int32(i)
			// Neighbours already visited: W, NW, N, NE.
			if x > 0 && parent[i-1] >= 0 {
				union(int32(i), int32(i-1))
			}
			if y > 0 {
				for dx := -1; dx <= 1; dx++ {
					if xx := x + dx; xx >= 0 && xx < w && parent[i-w+dx] >= 0 {
						union(int32(i), int32(i-w+dx))
					}
				}
			}
		}
	}
	mass := make([]float32, w*h) // indexed by a component's root pixel
	for i, v := range ink.p {
		if v > 0 {
			mass[find(int32(i))] += v
		}
	}
	var largest float32
	for _, m := range mass {
		largest = max(largest, m)
	}
	if largest < minInkMass {
		return image.Rectangle{}, false
	}
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x := range w {
			i := y*w + x
			if ink.p[i] == 0 {
				continue
			}
			if mass[find(int32(i))] < 0.03*largest {
				ink.p[i] = 0
				continue
			}
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
}

func cropPlane(pl plane, r image.Rectangle) plane {
	out := plane{w: r.Dx(), h: r.Dy(), p: make([]float32, r.Dx()*r.Dy())}
	for y := range out.h {
		copy(out.p[y*out.w:(y+1)*out.w], pl.p[(r.Min.Y+y)*pl.w+r.Min.X:])
	}
	return out
}

// strokeWidth estimates the ink's stroke width in pixels as twice its area
// over its boundary: a stroke of width w and length L covers wL pixels with
// 2L of them on its boundary.
func strokeWidth(pl plane) float64 {
	in := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < pl.w && y < pl.h && pl.p[y*pl.w+x] > 0.5
	}
	var area, boundary int
	for y := range pl.h {
		for x := range pl.w {
			if !in(x, y) {
				continue
			}
			area++
			if !in(x-1, y) || !in(x+1, y) || !in(x, y-1) || !in(x, y+1) {
				boundary++
			}
		}
	}
	if boundary == 0 {
		return 1
	}
	return 2 * float64(area) / float64(boundary)
}

// thickenStrokes dilates ink whose strokes would come out thinner than
// minStroke after scaling to the box, so a fine pen reads like MNIST's.
func thickenStrokes(crop plane) plane {
	scale := float64(Box) / float64(max(crop.w, crop.h))
	w := strokeWidth(crop)
	if w*scale >= minStroke {
		return crop
	}
	r := int(math.Ceil((targetStroke/scale - w) / 2))
	r = min(r, max(crop.w, crop.h)/8)
	if r < 1 {
		return crop
	}
	padded := plane{w: crop.w + 2*r, h: crop.h + 2*r}
	padded.p = make([]float32, padded.w*padded.h)
	for y := range crop.h {
		copy(padded.p[(y+r)*padded.w+r:], crop.p[y*crop.w:(y+1)*crop.w])
	}
	dilate(padded, r)
	return padded
}

// dilate replaces each pixel by the maximum over the (2r+1)x(2r+1) square
// around it, separably, with the van Herk/Gil-Werman algorithm (three
// comparisons per pixel whatever r).
func dilate(pl plane, r int) {
	n := max(pl.w, pl.h)
	line := make([]float32, n)
	out := make([]float32, n)
	scratch := make([]float32, 3*(n+4*r+2))
	for y := range pl.h {
		row := pl.p[y*pl.w : (y+1)*pl.w]
		maxFilter1D(out[:pl.w], row, r, scratch)
		copy(row, out[:pl.w])
	}
	for x := range pl.w {
		for y := range pl.h {
			line[y] = pl.p[y*pl.w+x]
		}
		maxFilter1D(out[:pl.h], line[:pl.h], r, scratch)
		for y := range pl.h {
			pl.p[y*pl.w+x] = out[y]
		}
	}
}

// maxFilter1D sets dst[i] = max(src[i-r..i+r]) (out-of-range values count as
// 0; the input is non-negative).
func maxFilter1D(dst, src []float32, r int, scratch []float32) {
	n, k := len(src), 2*r+1
	m := n + 2*r
	m += (k - m%k) % k // whole blocks
	pad := scratch[:m]
	clear(pad)
	copy(pad[r:], src)
	g := scratch[m : 2*m]   // running max from each block's start
	h := scratch[2*m : 3*m] // running max to each block's end
	for i := 0; i < m; i += k {
		g[i] = pad[i]
		for j := i + 1; j < i+k; j++ {
			g[j] = max(g[j-1], pad[j])
		}
		h[i+k-1] = pad[i+k-1]
		for j := i + k - 2; j >= i; j-- {
			h[j] = max(h[j+1], pad[j])
		}
	}
	for i := range n {
		dst[i] = max(h[i], g[i+k-1]) // window pad[i .. i+k-1], centred on src[i]
	}
}

// resampleToBox scales the crop so that its longer side is Box pixels.
func resampleToBox(crop plane) plane {
	scale := float64(Box) / float64(max(crop.w, crop.h))
	ow := max(1, min(Box, int(math.Round(float64(crop.w)*scale))))
	oh := max(1, min(Box, int(math.Round(float64(crop.h)*scale))))
	wx := resampleWeights(crop.w, ow)
	wy := resampleWeights(crop.h, oh)
	// Rows first (crop.h x ow), then columns (oh x ow).
	tmp := make([]float32, crop.h*ow)
	for y := range crop.h {
		src := crop.p[y*crop.w : (y+1)*crop.w]
		for x, taps := range wx {
			var s float32
			for _, t := range taps {
				s += float32(t.w * src[t.i])
			}
			tmp[y*ow+x] = s
		}
	}
	out := plane{w: ow, h: oh, p: make([]float32, ow*oh)}
	for y, taps := range wy {
		for x := range ow {
			var s float32
			for _, t := range taps {
				s += float32(t.w * tmp[t.i*ow+x])
			}
			out.p[y*ow+x] = s
		}
	}
	return out
}

type tap struct {
	i int
	w float32
}

// resampleWeights returns, for each of the m output samples, the input
// samples of a line of n that contribute to it. Shrinking averages the area
// each output pixel covers (no aliasing); enlarging interpolates linearly
// between pixel centres.
func resampleWeights(n, m int) [][]tap {
	out := make([][]tap, m)
	s := float64(m) / float64(n) // output pixels per input pixel
	if s <= 1 {
		for j := range m {
			lo, hi := float64(j)/s, float64(j+1)/s
			var taps []tap
			for i := int(lo); i < n && float64(i) < hi; i++ {
				cover := min(hi, float64(i+1)) - max(lo, float64(i))
				if cover > 0 {
					taps = append(taps, tap{i, float32(cover * s)})
				}
			}
			out[j] = taps
		}
		return out
	}
	for j := range m {
		c := (float64(j)+0.5)/s - 0.5
		i0 := int(math.Floor(c))
		t := float32(c - float64(i0))
		a, b := min(max(i0, 0), n-1), min(max(i0+1, 0), n-1)
		out[j] = []tap{{a, 1 - t}, {b, t}}
	}
	return out
}

// place stretches the digit to full intensity, quantises it to 8 bits and
// puts it in the 28x28 frame with its centre of mass at the centre (pixel
// index 14, as measured on MNIST's training set), shifting it less when the
// full shift would push ink out of the frame.
func place(small plane) *Digit {
	var peak float32
	for _, v := range small.p {
		peak = max(peak, v)
	}
	q := make([]uint8, len(small.p))
	var m, mx, my float64
	for y := range small.h {
		for x := range small.w {
			v := small.p[y*small.w+x]
			if peak > 0 {
				v /= peak
			}
			b := uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
			q[y*small.w+x] = b
			m += float64(b)
			mx += float64(b) * float64(x)
			my += float64(b) * float64(y)
		}
	}
	ox, oy := (Size-small.w)/2, (Size-small.h)/2
	if m > 0 {
		ox = int(math.Round(14 - mx/m))
		oy = int(math.Round(14 - my/m))
	}
	ox = min(max(ox, 0), Size-small.w)
	oy = min(max(oy, 0), Size-small.h)
	g := image.NewGray(image.Rect(0, 0, Size, Size))
	for y := range small.h {
		copy(g.Pix[(oy+y)*Size+ox:], q[y*small.w:(y+1)*small.w])
	}
	px := make([]float32, Size*Size)
	for i, b := range g.Pix {
		px[i] = float32(b) / 255
	}
	return &Digit{Pixels: px, Gray: g}
}
