// Package outside draws labelled digit images that do not come from MNIST,
// and images that are no digit at all, to measure how rakam reads what
// people send: pen strokes, typeset digits, small scans, photographs of
// paper, letters, scribbles and blank pages.
//
// Every set is drawn in memory from a seed: Set(kind, n, seed, src) starts
// one PCG seeded with (seed, a number derived from the kind's name), takes
// one 64-bit value from it per sample and draws sample i from a PCG seeded
// with that value. The same arguments give the same bytes, and the first k
// samples of a set of n are the set of k. The samples are encoded PNG or
// JPEG files, as a user would send them.
//
// The kinds made from MNIST digits (lowres, blur, thick, thin) transform
// images of src; the others draw their own. Two seeds are fixed:
// TuneSeed, with src the study's validation split, for the sets used to make
// choices (thresholds, filters), and GradeSeed, with src the MNIST test set,
// for the sets that measure the result and are used for nothing else.
//
// One set is real handwriting rather than drawn: ReadOptdigits reads UCI's
// optdigits as scikit-learn ships it (OptdigitsFile), 1,797 digits by 43
// writers who are not MNIST's, at 8x8, enlarged as a small scan is. It is
// neither a tuning nor a grading set of the kind above: it measures
// whether what the drawn sets say holds on real hands.
//
// Textbook is the preprocessing found in tutorials (threshold, crop, scale
// to 20 px, centre by mass in 28x28), the baseline imageprep is compared
// with. Gallery draws the sample images of testdata/digits.
package outside
