package imageprep

// Placing the scaled digit in the 28x28 frame by its centre of mass.

import (
	"image"
	"math"
)

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
