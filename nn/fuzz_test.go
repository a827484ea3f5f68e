package nn

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Decode: it must return a model or an
// error, never panic, and a model it accepts must survive a save/load
// round trip unchanged.
func FuzzLoad(f *testing.F) {
	good := encode(f, trainedSmallCNN(f, 1), map[string]string{MetaVersion: "fuzz"})
	mlp, _ := Build(Spec{Input: []int{4}, Layers: []LayerSpec{{Kind: "Dense", Units: 2}, {Kind: "Dropout", Rate: 0.1}}}, 1)
	f.Add(good)
	f.Add(encode(f, mlp, nil))
	f.Add(good[:len(good)/2])
	f.Add(good[:8])
	f.Add([]byte{})
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(rawFile(`{"__metadata__":{"rakam.spec":"{\"input\":[2],\"layers\":[{\"kind\":\"Dense\",\"units\":1}]}"},"layers.0.weight":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<62))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, meta, err := Decode(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		delete(meta, MetaSpec)
		var out bytes.Buffer
		if err := Encode(&out, m, meta); err != nil {
			t.Fatalf("re-encoding an accepted model: %v", err)
		}
		m2, _, err := Decode(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("decoding a re-encoded model: %v", err)
		}
		a, c := m.Tensors(), m2.Tensors()
		for i := range a {
			if !same(a[i].Value.Data, c[i].Value.Data) {
				t.Fatalf("tensor %s changed in a round trip", a[i].Name)
			}
		}
	})
}
