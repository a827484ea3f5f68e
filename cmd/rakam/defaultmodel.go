package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// realInputModel is the study's model for input from outside MNIST (photos,
// scans, drawings): 'rakam compare' saves it as DIR/models/NAME.safetensors.
// predict and serve use it when --model is omitted.
const realInputModel = "cnn-real"

// defaultModel returns the model file predict and serve use when --model
// is omitted: the real-input model in the models folder of 'rakam compare'
// ($RAKAM_MODELS, else out/models under the working directory). When it is
// not there the error says how to get one.
func defaultModel() (string, error) {
	dir := os.Getenv("RAKAM_MODELS")
	if dir == "" {
		dir = filepath.Join("out", "models")
	}
	path := filepath.Join(dir, realInputModel+".safetensors")
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return path, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", usagef("no --model given and %s does not exist: train it with 'rakam compare --only %s' (or the whole study, 'rakam compare'), point $RAKAM_MODELS at the models folder that holds it, or pass --model FILE", path, realInputModel)
	default:
		return "", fmt.Errorf("no --model given; the default model %s: %w", path, err)
	}
}
