package tensor

import (
	"fmt"
)

// Tensor is a dense, row-major float32 array.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// FromSlice wraps data (not copied) with the given shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) {
		panic(fmt.Sprintf("tensor: FromSlice: %d values do not fill shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Dim returns the size of dimension i.
func (t *Tensor) Dim(i int) int { return t.Shape[i] }

// Rows is the first dimension; Cols is the product of the others. Together
// they view the tensor as a matrix, as Dense layers do with (N, features).
func (t *Tensor) Rows() int { return t.Shape[0] }

// Cols is the product of every dimension after the first.
func (t *Tensor) Cols() int {
	if len(t.Shape) == 0 {
		return 0
	}
	n := 1
	for _, d := range t.Shape[1:] {
		n *= d
	}
	return n
}

// Reshape returns a view with a new shape over the same data.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	return FromSlice(t.Data, shape...)
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool {
	if len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}

// EnsureShape returns t when it already has shape, otherwise a new zero
// tensor of that shape reusing t's backing array when it is large enough.
// Layers use it to own their buffers without allocating on every step.
func EnsureShape(t *Tensor, shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if t != nil && len(t.Shape) == len(shape) {
		same := true
		for i := range shape {
			if t.Shape[i] != shape[i] {
				same = false
				break
			}
		}
		if same {
			return t
		}
	}
	if t != nil && cap(t.Data) >= n {
		t.Shape = append(t.Shape[:0], shape...)
		t.Data = t.Data[:n]
		return t
	}
	return New(shape...)
}

func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor%v", t.Shape)
}
