package mnist

import (
	"bytes"
	"slices"
	"testing"
)

func numberedSet(n int) *Set {
	s := &Set{Images: make([]uint8, n*4), Labels: make([]uint8, n), N: n, Rows: 2, Cols: 2}
	for i := 0; i < n; i++ {
		s.Images[4*i] = uint8(i)
		s.Images[4*i+1] = uint8(i >> 8)
		s.Labels[i] = uint8(i % 10)
	}
	return s
}

func ids(s *Set) []int {
	out := make([]int, s.N)
	for i := range out {
		img := s.Image(i)
		out[i] = int(img[0]) | int(img[1])<<8
		if int(s.Labels[i]) != out[i]%10 {
			panic("label does not follow its image")
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	s := numberedSet(1000)
	train, val, err := s.Split(100, 7)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 900 || val.N != 100 || len(train.Images) != 900*4 || len(val.Labels) != 100 {
		t.Fatalf("Split(100) sizes %d/%d; want 900/100", train.N, val.N)
	}
	ti, vi := ids(train), ids(val)
	all := append(slices.Clone(ti), vi...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("train and validation are not a disjoint cover of the set (at %d: %d)", i, v)
		}
	}
	if !slices.IsSorted(ti) || !slices.IsSorted(vi) {
		t.Error("Split does not keep the original order within each part")
	}
	// Same seed, same split; another seed, another split.
	train2, val2, _ := s.Split(100, 7)
	if !bytes.Equal(train.Images, train2.Images) || !bytes.Equal(val.Labels, val2.Labels) {
		t.Error("Split(100, 7) twice gave different results")
	}
	_, val3, _ := s.Split(100, 8)
	if slices.Equal(vi, ids(val3)) {
		t.Error("seeds 7 and 8 chose the same validation set")
	}
	// The validation set is spread over the whole set, not a block.
	if vi[len(vi)-1]-vi[0] < 500 {
		t.Errorf("validation indices span %d..%d; want them spread out", vi[0], vi[len(vi)-1])
	}
	for _, bad := range []int{-1, 1001} {
		if _, _, err := s.Split(bad, 1); err == nil {
			t.Errorf("Split(%d) = nil error; want one", bad)
		}
	}
	if tr, va, err := s.Split(0, 1); err != nil || tr.N != 1000 || va.N != 0 {
		t.Errorf("Split(0) = %d/%d, %v; want 1000/0", tr.N, va.N, err)
	}
}

func TestSubsetCopies(t *testing.T) {
	s := numberedSet(10)
	sub := s.Subset([]int{7, 2, 7})
	if got := ids(sub); !slices.Equal(got, []int{7, 2, 7}) {
		t.Fatalf("Subset ids = %v; want [7 2 7]", got)
	}
	sub.Images[0] = 99
	if s.Images[7*4] != 7 {
		t.Error("Subset shares memory with the original")
	}
	if img := s.Image(3); len(img) != 4 || cap(img) != 4 {
		t.Errorf("Image(3) has len %d cap %d; want 4, 4 (appending must not clobber image 4)", len(img), cap(img))
	}
}
