package infer

import "errors"

// Errors of the package. Errors returned wrap one of these (test with
// errors.Is) and name what was wrong; image errors also wrap imageprep's
// (imageprep.ErrFormat, ErrBlank, ...).
var (
	// ErrModel is a model that does not map 28x28 pixels to 10 classes.
	ErrModel = errors.New("infer: model does not map 28x28 pixels to 10 classes")
	// ErrInput is pixels of the wrong count or outside 0..1.
	ErrInput = errors.New("infer: bad input")
)
