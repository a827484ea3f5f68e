package outside

import "errors"

// Errors of the package. The messages returned wrap them with the detail.
var (
	// ErrKind means Set was asked for a kind it does not know.
	ErrKind = errors.New("outside: unknown kind")
	// ErrSource means a kind made from MNIST digits was given no source
	// set, or one without images.
	ErrSource = errors.New("outside: no MNIST source set")
	// ErrCount means a negative number of samples was asked for.
	ErrCount = errors.New("outside: negative sample count")
	// ErrNoInk means Textbook found nothing to threshold: every pixel has
	// the same level.
	ErrNoInk = errors.New("outside: textbook: no ink (the image is one flat level)")
)
