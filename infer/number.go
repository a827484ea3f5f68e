package infer

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/rakam-ml/rakam/imageprep"
)

// NumberPrediction is the answer for an image of a number: digits written
// in a row, read left to right.
type NumberPrediction struct {
	// Number is the digits' labels, left to right ("2024"); marks the
	// segmentation found not to be digits (a dash) are left out. It is ""
	// for a blank image.
	Number string `json:"number"`
	// Digits are the answers for each part found, left to right.
	Digits []NumberDigit `json:"digits"`
	// NotDigit says the image holds no digit at all (it is blank).
	NotDigit bool `json:"not_digit"`
	// Unsure says the number may well be wrong: a digit is unsure or may
	// not be a digit, a part is not a digit, or a cut between touching
	// digits is doubtful. Reasons say which.
	Unsure  bool     `json:"unsure"`
	Reasons []string `json:"reasons,omitempty"`
	// Inverted reports that the source had dark ink on a light background.
	Inverted bool `json:"inverted"`
}

// NumberDigit is the answer for one part of a number.
type NumberDigit struct {
	// Prediction is the model's answer for the part. NotDigit is also set
	// for a mark the segmentation found no digit looks like, and Unsure
	// for a part cut from its neighbour where the cut is doubtful.
	Prediction
	// Box is the part's bounding box in the source image's coordinates.
	Box image.Rectangle `json:"-"`
	// Cut reports that the part was cut from ink it touched.
	Cut bool `json:"cut,omitempty"`
	// Reason says why the part is flagged, when the segmentation says so.
	Reason string `json:"reason,omitempty"`
	// Digit is the part prepared the MNIST way: the model's input.
	Digit *imageprep.Digit `json:"-"`
}

// NumberParts is an image of a number segmented into parts
// (imageprep.Segment), each prepared the MNIST way: the work before the
// model. Callers that run the model themselves (a batching server) pass
// Pixels through it and the probabilities to Answer.
type NumberParts struct {
	// Segmentation is what imageprep.Segment found; nil for a blank image.
	Segmentation *imageprep.Segmentation
	// Parts are the segmentation's parts and its alternatives' parts, in
	// that order, and Digits each of them prepared (imageprep.FromImage of
	// its Image).
	Parts  []imageprep.Part
	Digits []*imageprep.Digit
	// Pixels holds the Digits' 28x28s one after the other: the model's
	// input, len(Digits)*Pixels values.
	Pixels []float32
	// readings[g] lists the ways to read group g: indices into Parts,
	// the segmentation's own first.
	readings [][][]int
}

// SegmentNumber segments img into the digits of a number and prepares
// each part, and each part of the alternative cuts imageprep.Segment
// proposes, for the model. A blank image gives no parts and no error;
// other errors wrap imageprep's.
func SegmentNumber(img image.Image) (*NumberParts, error) {
	seg, err := imageprep.Segment(img)
	if errors.Is(err, imageprep.ErrBlank) {
		return &NumberParts{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	np := &NumberParts{Segmentation: seg}
	// add prepares parts as one reading of their group; ok is false when
	// a part comes out blank on its own (no reading without it).
	add := func(parts []imageprep.Part) (idx []int, ok bool, err error) {
		for _, p := range parts {
			d, err := imageprep.FromImage(p.Image)
			if errors.Is(err, imageprep.ErrBlank) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("infer: part at %v: %w", p.Box, err)
			}
			idx = append(idx, len(np.Parts))
			np.Parts = append(np.Parts, p)
			np.Digits = append(np.Digits, d)
			np.Pixels = append(np.Pixels, d.Pixels...)
		}
		return idx, true, nil
	}
	byGroup := map[int][]imageprep.Part{}
	var groups []int
	for _, p := range seg.Parts {
		if _, seen := byGroup[p.Group]; !seen {
			groups = append(groups, p.Group)
		}
		byGroup[p.Group] = append(byGroup[p.Group], p)
	}
	index := map[int]int{}
	for _, g := range groups {
		idx, ok, err := add(byGroup[g])
		if err != nil {
			return nil, err
		}
		if !ok {
			seg.Specks++ // too faint once on its own: a speck after all
			continue
		}
		index[g] = len(np.readings)
		np.readings = append(np.readings, [][]int{idx})
	}
	for _, a := range seg.Alternatives {
		r, known := index[a.Group]
		if !known {
			continue
		}
		idx, ok, err := add(a.Parts)
		if err != nil {
			return nil, err
		}
		if ok {
			np.readings[r] = append(np.readings[r], idx)
		}
	}
	return np, nil
}

// A reading of k digits of a piece of ink W wide, in a row of digits h
// high, is plausible while W/h is between minWidth+minStep*(k-1) (a 1 is
// narrow, a second digit adds at least minStep), or for k > 1 the sum of
// minWidth for each part read as 1 and minOther for each other part if
// that is more (two digits but 1 in the width of one are its halves), and
// maxWidth*k (a wide 0);
// beyond, it loses countPrior*(d/0.1)² in log probability, d the distance
// to the range. Within it the model's answers alone choose.
const (
	countPrior = 0.5
	minWidth   = 0.15
	minStep    = 0.4
	maxWidth   = 1.3
	minOther   = 0.55
)

// doubtMargin: readings of a piece whose scores are closer than this make
// the cut doubtful.
const doubtMargin = 0.2

// A part narrower than narrowDigit times the row's digit height read as
// any digit but 1 costs its reading narrowPenalty (in log probability).
const (
	narrowDigit   = 0.35
	narrowPenalty = 1.0
	cutOnePenalty = 0.2
)

// A reading of a piece as a 1 at least oneBesideTall of the piece's
// height and the digit the piece reads as whole, cut apart through one
// stroke, gains oneBesideGain.
const (
	oneBesideTall = 0.85
	oneBesideGain = 0.3
)

// A cut that crosses n strokes (imageprep.Part.CutStrokes) costs
// cutStrokeCost*(n-cutStrokesFree): below cutStrokesFree, a gain.
const (
	cutStrokesFree = 1.5
	cutStrokeCost  = 0.3
)

// Answer reads the number from the parts' probabilities (len(Digits) rows
// of Classes, as PredictBatch returns them for Pixels), each part's flags
// set by t. Where the segmentation proposed several ways to cut a piece
// of ink, the one read is the one whose parts the model is surest of (the
// highest sum of log top probabilities), less a cost when its number of
// digits does not fit the piece's width (countPrior) and for slivers.
func (np *NumberParts) Answer(probs []float32, t Thresholds) (NumberPrediction, error) {
	if len(probs) != len(np.Digits)*Classes {
		return NumberPrediction{}, fmt.Errorf("%w: %d probabilities for %d parts; want %d per part", ErrInput, len(probs), len(np.Digits), Classes)
	}
	if len(np.readings) == 0 {
		return NumberPrediction{NotDigit: true, Digits: []NumberDigit{}}, nil
	}
	out := NumberPrediction{Inverted: np.Segmentation.Inverted}
	// The row's digit height, for the shape check below.
	var hs []int
	for _, rs := range np.readings {
		for _, i := range rs[0] {
			hs = append(hs, np.Parts[i].Box.Dy())
		}
	}
	slices.Sort(hs)
	ref := float64(hs[len(hs)/2])
	// Each part's label, which the scores below consult again and again.
	labels := make([]int, len(np.Digits))
	for i := range labels {
		labels[i] = Argmax(probs[i*Classes : (i+1)*Classes])
	}
	var chosen []int
	var doubtful []bool
	for _, rs := range np.readings {
		best, bestScore, second := 0, math.Inf(-1), math.Inf(-1)
		// whole is the digit the piece reads as uncut, if it is read so.
		whole := -1
		for _, idx := range rs {
			if len(idx) == 1 {
				whole = labels[idx[0]]
			}
		}
		for r, idx := range rs {
			var score float64
			var span image.Rectangle
			for _, i := range idx {
				span = span.Union(np.Parts[i].Box)
			}
			// A 1 as high as the piece cut off through one stroke,
			// the rest still read as the digit the whole piece reads
			// as: the 1 was ink beside that digit, a 1 touching it
			// (the model reads many a 1 and its neighbour as the
			// neighbour alone). It earns oneBesideGain. Cutting a
			// digit's own stem off leaves another digit.
			if len(idx) == 2 && whole >= 0 && np.Parts[idx[0]].CutStrokes == 1 {
				for pos := range 2 {
					one, rest := idx[pos], idx[1-pos]
					if labels[one] == 1 && float64(np.Parts[one].Box.Dy()) >= oneBesideTall*float64(span.Dy()) && labels[rest] == whole {
						score += oneBesideGain
					}
				}
			}
			for _, i := range idx {
				p := probs[i*Classes : (i+1)*Classes]
				label := labels[i]
				score += math.Log(max(float64(p[label]), 1e-9))
				// Only a 1 is that narrow: a sliver read as another
				// digit is half of one (a 0 cut in two).
				if label != 1 && float64(np.Parts[i].Box.Dx()) < narrowDigit*ref {
					score -= narrowPenalty
				}
				// And any sliver cut off a digit looks like a 1: a 1
				// that had to be cut from its neighbour must read
				// clearly better to be believed.
				// Unless the cut freed a straight stroke through
				// little ink (imageprep.Part.Stroke): a 1 touching its
				// neighbour.
				if label == 1 && np.Parts[i].Cut && !np.Parts[i].Stroke {
					score -= cutOnePenalty
				}
			}
			// The strokes each cut crosses: two digits that touch meet
			// in one stroke, a cut through one digit's middle crosses
			// two or more (both arcs of a 0). A cut through one stroke
			// between two digits other than 1 earns a little (the model
			// reads many a touching pair as one digit); one freeing a
			// sliver read as 1 does not (cutting off the tail of a 5
			// crosses one stroke too: Stroke and cutOnePenalty judge
			// those).
			for j, i := range idx[:len(idx)-1] {
				d := float64(np.Parts[i].CutStrokes) - cutStrokesFree
				if d > 0 || labels[i] != 1 && labels[idx[j+1]] != 1 {
					score -= cutStrokeCost * d
				}
			}
			k, a := float64(len(idx)), float64(span.Dx())/ref
			least := minWidth + minStep*(k-1)
			if len(idx) > 1 {
				// Digits other than 1 are wider: two of them read in
				// a piece one digit wide are halves of one.
				var sum float64
				for _, i := range idx {
					if labels[i] == 1 {
						sum += minWidth
					} else {
						sum += minOther
					}
				}
				least = max(least, sum)
			}
			d := max(0, least-a, a-maxWidth*k) / 0.1
			score -= countPrior * d * d
			if score > bestScore {
				best, bestScore, second = r, score, bestScore
			} else if score > second {
				second = score
			}
		}
		for _, i := range rs[best] {
			chosen = append(chosen, i)
			// Another cut read nearly as surely: the count is in doubt.
			doubtful = append(doubtful, len(rs[best]) > 1 && bestScore-second < doubtMargin)
		}
	}
	var sb strings.Builder
	for k, i := range chosen {
		part, d := np.Parts[i], np.Digits[i]
		nd := NumberDigit{
			Prediction: t.Answer(probs[i*Classes : (i+1)*Classes : (i+1)*Classes]),
			Box:        part.Box, Cut: part.Cut, Reason: part.Reason, Digit: d,
		}
		where := fmt.Sprintf("part %d of %d", k+1, len(chosen))
		top := nd.Probabilities[nd.Label]
		switch {
		case part.NotDigit:
			nd.NotDigit = true
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s is not a digit: %s", where, part.Reason))
		case nd.NotDigit:
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s may not be a digit (%d at %.0f%%)", where, nd.Label, 100*top))
		case nd.Unsure:
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s is %d at only %.0f%%", where, nd.Label, 100*top))
		}
		if part.Uncertain || doubtful[k] {
			nd.Unsure = true
			if nd.Reason == "" {
				nd.Reason = "cutting the touching ink into another number of digits reads almost as well"
			}
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s: doubtful cut: %s", where, nd.Reason))
		}
		if !part.NotDigit {
			sb.WriteByte(byte('0' + nd.Label))
		}
		out.Unsure = out.Unsure || nd.Unsure || nd.NotDigit
		out.Digits = append(out.Digits, nd)
	}
	out.Number = sb.String()
	return out, nil
}

// PredictNumber reads the number written in img: imageprep.Segment finds
// the digits left to right, each is prepared the MNIST way and all are
// predicted in one batch. A blank image is answered (NotDigit, Number "").
// Errors wrap imageprep's.
func (m *Model) PredictNumber(img image.Image) (NumberPrediction, error) {
	np, err := SegmentNumber(img)
	if err != nil {
		return NumberPrediction{}, err
	}
	return m.predictNumber(np)
}

// PredictNumberBytes decodes an encoded image (as PredictBytes does,
// within Options.Limits, turned upright as a JPEG's EXIF orientation says:
// imageprep.Limits.DecodeUpright) and reads the number in it as
// PredictNumber does; the digits' boxes are in the upright image's
// coordinates.
func (m *Model) PredictNumberBytes(data []byte) (NumberPrediction, error) {
	img, err := m.limits.DecodeUpright(data)
	if err != nil {
		return NumberPrediction{}, fmt.Errorf("infer: %w", err)
	}
	return m.PredictNumber(img)
}

// PredictNumberFile reads an image file (at most Options.Limits' MaxBytes)
// and reads the number in it as PredictNumberBytes does. Errors name the
// file.
func (m *Model) PredictNumberFile(path string) (NumberPrediction, error) {
	f, err := os.Open(path)
	if err != nil {
		return NumberPrediction{}, fmt.Errorf("infer: %w", err)
	}
	defer f.Close()
	data, err := m.limits.ReadAll(f)
	if err != nil {
		return NumberPrediction{}, fmt.Errorf("infer: %s: %w", path, err)
	}
	p, err := m.PredictNumberBytes(data)
	if err != nil {
		return NumberPrediction{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func (m *Model) predictNumber(np *NumberParts) (NumberPrediction, error) {
	var probs []float32
	if n := len(np.Digits); n > 0 {
		var err error
		if probs, err = m.PredictBatch(np.Pixels, n); err != nil {
			return NumberPrediction{}, err
		}
	}
	return np.Answer(probs, m.thresh)
}
