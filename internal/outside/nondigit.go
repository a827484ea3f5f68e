package outside

// Images that are no digit: letters, scribbles and blank paper.

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/mnist"
)

// letters are the letters the letter kind draws: none reads as a digit
// (no O, o, I, l, S, s, Z, z, B, b, G, g, q, T, t, L, J, D, Q).
const letters = "ACEFHKMNPRUVWXYacefhkmnruvwxy"

// letterStrokes are pen paths of capital letters in a unit box.
var letterStrokes = map[byte][][]pt{
	'A': {{{0, 1}, {0.5, 0}, {1, 1}}, {{0.22, 0.6}, {0.78, 0.6}}},
	'C': {{{0.9, 0.15}, {0.5, 0}, {0.1, 0.3}, {0.12, 0.75}, {0.5, 1}, {0.9, 0.85}}},
	'E': {{{0.9, 0}, {0.1, 0}, {0.1, 1}, {0.9, 1}}, {{0.1, 0.5}, {0.7, 0.5}}},
	'F': {{{0.9, 0}, {0.1, 0}, {0.1, 1}}, {{0.1, 0.5}, {0.7, 0.5}}},
	'H': {{{0.1, 0}, {0.1, 1}}, {{0.9, 0}, {0.9, 1}}, {{0.1, 0.5}, {0.9, 0.5}}},
	'K': {{{0.15, 0}, {0.15, 1}}, {{0.85, 0}, {0.15, 0.55}}, {{0.35, 0.4}, {0.9, 1}}},
	'M': {{{0.05, 1}, {0.1, 0}, {0.5, 0.6}, {0.9, 0}, {0.95, 1}}},
	'N': {{{0.1, 1}, {0.1, 0}, {0.9, 1}, {0.9, 0}}},
	'U': {{{0.1, 0}, {0.12, 0.7}, {0.5, 1}, {0.88, 0.7}, {0.9, 0}}},
	'V': {{{0.05, 0}, {0.5, 1}, {0.95, 0}}},
	'W': {{{0, 0}, {0.25, 1}, {0.5, 0.35}, {0.75, 1}, {1, 0}}},
	'X': {{{0.1, 0}, {0.9, 1}}, {{0.9, 0}, {0.1, 1}}},
	'Y': {{{0.1, 0}, {0.5, 0.5}}, {{0.9, 0}, {0.5, 0.5}, {0.5, 1}}},
}

// penLetters lists the keys of letterStrokes in a fixed order.
const penLetters = "ACEFHKMNUVWXY"

// drawLetter draws a letter: typeset in one of the fonts (like drawFont)
// two times in three, else a capital written with a pen (like drawPen).
func drawLetter(i int, rng *rand.Rand, _ *mnist.Set) (Sample, error) {
	fw, fh := frame(28, 400, rng)
	mask := image.NewAlpha(image.Rect(0, 0, fw, fh))
	side := float64(min(fw, fh))
	if rng.IntN(3) > 0 {
		g, err := render(faces[rng.IntN(len(faces))], string(letters[rng.IntN(len(letters))]))
		if err != nil {
			return Sample{}, err
		}
		h := side * uniform(0.3, 0.85, rng)
		w := h * float64(g.ink.Dx()) / float64(g.ink.Dy())
		if w > 0.9*float64(fw) {
			h *= 0.9 * float64(fw) / w
			w = 0.9 * float64(fw)
		}
		cx, cy := centre(w, h, fw, fh, 0.04*side, rng)
		stamp(mask, g, cx, cy, h, uniform(-8, 8, rng)*math.Pi/180)
	} else {
		strokes := letterStrokes[penLetters[rng.IntN(len(penLetters))]]
		h := side * uniform(0.3, 0.8, rng)
		w := h * uniform(0.6, 0.95, rng)
		cx, cy := centre(w, h, fw, fh, 0.05*side, rng)
		pen := math.Max(1.3, h*uniform(0.05, 0.15, rng))
		drawStrokes(mask, strokes, cx, cy, w, h, uniform(-0.25, 0.2, rng), uniform(-12, 12, rng)*math.Pi/180, pen, 0.025, rng)
	}
	img := paint(mask, lightPaper(rng), darkInk(rng), uniform(0, 4, rng), rng)
	return sample(Letter, i, -1, img, 0)
}

// drawScribble draws a pen scrawl that is no digit: a tangle through 8 to
// 16 random points, a zigzag, a hatch of crossing lines or a spiral of
// loops; on light paper, or photographed on ruled paper one time in three.
func drawScribble(i int, rng *rand.Rand, _ *mnist.Set) (Sample, error) {
	fw, fh := frame(40, 480, rng)
	side := float64(min(fw, fh))
	h := side * uniform(0.3, 0.8, rng)
	w := h * uniform(0.6, 1.4, rng)
	w = math.Min(w, 0.9*float64(fw))
	cx, cy := centre(w, h, fw, fh, 0.05*side, rng)
	var strokes [][]pt
	switch rng.IntN(4) {
	case 0: // tangle
		var s []pt
		for range 8 + rng.IntN(9) {
			s = append(s, pt{rng.Float64(), rng.Float64()})
		}
		strokes = [][]pt{s}
	case 1: // zigzag, across or down
		var s []pt
		n := 5 + rng.IntN(8)
		across := rng.IntN(2) == 0
		for k := range n {
			a, b := float64(k)/float64(n-1), float64(k%2)
			if across {
				s = append(s, pt{a, b}, pt{a, b})
			} else {
				s = append(s, pt{b, a}, pt{b, a})
			}
		}
		strokes = [][]pt{s}
	case 2: // hatch: crossing straight lines
		for range 4 + rng.IntN(5) {
			strokes = append(strokes, []pt{{rng.Float64(), rng.Float64()}, {rng.Float64(), rng.Float64()}})
		}
	default: // loops drifting sideways
		var s []pt
		loops := 3 + rng.IntN(5)
		for k := range loops * 8 {
			a := float64(k) * math.Pi / 4
			s = append(s, pt{0.15 + 0.7*float64(k)/float64(loops*8) + 0.15*math.Cos(a), 0.5 + 0.4*math.Sin(a)})
		}
		strokes = [][]pt{s}
	}
	pen := math.Max(1.3, h*uniform(0.03, 0.12, rng))
	mask := image.NewAlpha(image.Rect(0, 0, fw, fh))
	drawStrokes(mask, strokes, cx, cy, w, h, uniform(-0.2, 0.2, rng), uniform(-20, 20, rng)*math.Pi/180, pen, 0.03, rng)
	if rng.IntN(3) == 0 {
		pg := randomPage(fw, fh, rng)
		cam := randomCamera(fw, fh, rng)
		k := uniform(10, 60, rng)
		cam.inkColour = [3]float64{k, k, k + 60*rng.Float64()}
		return sample(Scribble, i, -1, shoot(fw, fh, &pg, mask, &cam, rng), cam.quality)
	}
	return sample(Scribble, i, -1, paint(mask, lightPaper(rng), darkInk(rng), uniform(0, 4, rng), rng), 0)
}

// drawBlank draws paper with nothing on it: plain white or grey paper with
// a little noise, a photograph of plain, lined or squared paper (with the
// photo kind's shadow, perspective and JPEG), or noise alone on a grey
// level (spread 5 to 25 levels).
func drawBlank(i int, rng *rand.Rand, _ *mnist.Set) (Sample, error) {
	fw, fh := frame(28, 640, rng)
	switch rng.IntN(3) {
	case 0:
		img := paint(image.NewAlpha(image.Rect(0, 0, fw, fh)), lightPaper(rng), color.NRGBA{}, uniform(0, 4, rng), rng)
		return sample(Blank, i, -1, img, 0)
	case 1:
		pg := randomPage(fw, fh, rng)
		cam := randomCamera(fw, fh, rng)
		return sample(Blank, i, -1, shoot(fw, fh, &pg, nil, &cam, rng), cam.quality)
	default:
		l := uniform(30, 230, rng)
		k := clamp8(l)
		img := paint(image.NewAlpha(image.Rect(0, 0, fw, fh)), color.NRGBA{k, k, k, 255}, color.NRGBA{}, uniform(5, 25, rng), rng)
		return sample(Blank, i, -1, img, 0)
	}
}
