package main

import (
	"errors"
	"fmt"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/study"
)

// loadData is study.LoadData with a too-large --val reported as a usage
// error (exit 2).
func loadData(dir string, nVal int, seed uint64) (*study.Data, error) {
	d, err := study.LoadData(dir, nVal, seed)
	if errors.Is(err, study.ErrValSize) {
		return nil, usagef("%v", err)
	}
	return d, err
}

// splits is MNIST as every training command uses it: the 60k training
// images split into train and validation with a seed, and the 10k test set,
// which is only ever used for the final score.
type splits struct {
	dir, sha         string
	train, val, test *mnist.Set
}

// loadSplits locates MNIST (--data, then RAKAM_DATA, then the GoMNIST
// module) and splits off nVal validation images with seed.
func loadSplits(dataDir string, nVal int, seed uint64) (*splits, error) {
	d, err := loadData(dataDir, nVal, seed)
	if err != nil {
		return nil, err
	}
	return &splits{dir: d.Dir, sha: d.SHA256, train: d.Train, val: d.Val, test: d.Test}, nil
}

func (s *splits) describe() string {
	return fmt.Sprintf("MNIST from %s: %d train, %d validation, %d test images", s.dir, s.train.N, s.val.N, s.test.N)
}
