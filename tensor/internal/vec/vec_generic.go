package vec

// The portable kernels: always compiled, the only ones under purego or off
// amd64, and the references the assembly is tested against.

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGo(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func reluGo(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = 0
		}
	}
}

func addReLUGo(x, b []float32) {
	b = b[:len(x)]
	for i, v := range x {
		if s := v + b[i]; s > 0 {
			x[i] = s
		} else {
			x[i] = 0
		}
	}
}

func reluBackwardGo(dx, dy, y []float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}
