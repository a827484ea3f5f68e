// Package scratch implements study 1 of the seed: a 784-128-10 network
// (ReLU hidden layer, softmax output) trained by plain mini-batch gradient
// descent, with the forward and backward passes written out by hand over
// tensor operations, as the NumPy original did over NumPy. It has no layer
// objects on purpose: it reads top to bottom, and it serves as an
// independent oracle for the nn package.
//
// The maths, for a batch X of B images (B×784) with one-hot labels Y:
//
//	Z1 = X·W1 + b1        (B×H)
//	A1 = max(Z1, 0)       (B×H)
//	Z2 = A1·W2 + b2       (B×10)
//	P  = softmax(Z2)      (B×10)
//	L  = −(1/B) Σ log P[i, y_i]
//
// and backwards:
//
//	dZ2 = (P − Y)/B       dW2 = A1ᵀ·dZ2     db2 = Σ_rows dZ2
//	dA1 = dZ2·W2ᵀ         dZ1 = dA1 ⊙ [Z1 > 0]
//	dW1 = Xᵀ·dZ1          db1 = Σ_rows dZ1
//
// then W ← W − lr·dW for every parameter.
package scratch
