package outside

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"image"
	"io"
	"os"
	"strconv"
	"strings"

	xdraw "golang.org/x/image/draw"
)

// Optdigits names the one set of real handwriting here: the UCI "optical
// recognition of handwritten digits" test set as scikit-learn ships it
// (load_digits), 1,797 digits written by 43 people who are not MNIST's.
// Each was scanned, size-normalised into a 32x32 bitmap (NIST's
// preprocessing: the digit is stretched to fill the box, so a 1 comes out
// a wide bar) and reduced to 8x8 cells counting the inked pixels of each
// 4x4 block, 0 to 16: a low-resolution scan of real handwriting. No model
// here trains on it.
const Optdigits Kind = "optdigits"

// OptdigitsFile is where Debian's python3-sklearn installs the set.
const OptdigitsFile = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

// optdigitsMargin is the blank cells added on each side (the 8x8 frames
// have little or none), and optdigitsScale the enlargement of a cell in
// pixels: 12x12 cells become a 96x96 image.
const (
	optdigitsMargin = 2
	optdigitsScale  = 8
)

// ReadOptdigitsFile reads the set from the file at path (ReadOptdigits);
// its errors name the file, and one that is missing is an os.ErrNotExist.
func ReadOptdigitsFile(path string) ([]Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set, err := ReadOptdigits(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}

// ReadOptdigits reads the set from r (gzip-compressed CSV, one digit per
// line: its 64 cell counts row by row, then its label) and returns it as
// samples a user could send: each cell's count as ink dark on white paper
// (16 black, 0 white), two blank cells of margin, enlarged eight times
// with smoothing, as a small scan is viewed (bilinear for even-numbered
// digits and Catmull-Rom for odd ones, the two kernels of the lowres
// set), encoded as PNG. A line that is not 64 counts 0..16 and a label
// 0..9 is an error naming it, as is a file that is not gzip, is cut short
// or holds no digit.
func ReadOptdigits(r io.Reader) ([]Sample, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("outside: optdigits: not a gzip-compressed file: %w", err)
	}
	side := 8 + 2*optdigitsMargin
	var out []Sample
	sc := bufio.NewScanner(z)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != 65 {
			return nil, fmt.Errorf("outside: optdigits line %d: %d fields; want 64 cell counts and a label", line, len(fields))
		}
		small := image.NewGray(image.Rect(0, 0, side, side))
		for i := range small.Pix {
			small.Pix[i] = 255
		}
		for i, f := range fields[:64] {
			v, err := strconv.Atoi(f)
			if err != nil || v < 0 || v > 16 {
				return nil, fmt.Errorf("outside: optdigits line %d, cell %d: %q is not a count 0..16", line, i+1, f)
			}
			small.Pix[(i/8+optdigitsMargin)*side+i%8+optdigitsMargin] = uint8(255 - (v*255+8)/16)
		}
		label, err := strconv.Atoi(fields[64])
		if err != nil || label < 0 || label > 9 {
			return nil, fmt.Errorf("outside: optdigits line %d: label %q is not a digit 0..9", line, fields[64])
		}
		k := xdraw.Interpolator(xdraw.BiLinear)
		if len(out)%2 == 1 {
			k = xdraw.CatmullRom
		}
		s, err := sample(Optdigits, len(out), label, scale(small, side*optdigitsScale, side*optdigitsScale, k), 0)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("outside: optdigits after line %d: %w", line, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("outside: optdigits: no digits in the file")
	}
	return out, nil
}
