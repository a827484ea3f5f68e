package onnxpb

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// fields decodes one level of a protobuf message into field number ->
// raw values (varints as uint64, length-delimited as []byte, fixed32 as
// uint32).
func fields(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.Fixed32Type:
			v, n = protowire.ConsumeFixed32(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		out[num] = append(out[num], v)
		b = b[n:]
	}
	return out
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFieldNumbers pins the wire field numbers of onnx.proto to those of
// the ONNX specification, which a reader of the files depends on; a typo
// in the schema would otherwise go unnoticed by round-trip tests.
func TestFieldNumbers(t *testing.T) {
	type want struct {
		num protowire.Number
		val any // uint64, string or nil (present, not checked)
	}
	check := func(name string, m proto.Message, wants ...want) {
		t.Helper()
		f := fields(t, marshal(t, m))
		for _, w := range wants {
			vs := f[w.num]
			if len(vs) == 0 {
				t.Errorf("%s: field %d missing", name, w.num)
				continue
			}
			switch wv := w.val.(type) {
			case uint64:
				if vs[0] != wv {
					t.Errorf("%s: field %d = %v; want %d", name, w.num, vs[0], wv)
				}
			case string:
				if b, ok := vs[0].([]byte); !ok || string(b) != wv {
					t.Errorf("%s: field %d = %v; want %q", name, w.num, vs[0], wv)
				}
			}
		}
		if len(f) != len(wants) {
			t.Errorf("%s: %d fields on the wire; want %d", name, len(f), len(wants))
		}
	}

	check("ModelProto", &ModelProto{
		IrVersion: 7, ProducerName: "p", ProducerVersion: "v", Domain: "d", ModelVersion: 3, DocString: "doc",
		Graph:         &GraphProto{Name: "g"},
		OpsetImport:   []*OperatorSetIdProto{{Version: 13}},
		MetadataProps: []*StringStringEntryProto{{Key: "k", Value: "v"}},
	}, want{1, uint64(7)}, want{2, "p"}, want{3, "v"}, want{4, "d"}, want{5, uint64(3)}, want{6, "doc"},
		want{7, nil}, want{8, nil}, want{14, nil})
	check("OperatorSetIdProto", &OperatorSetIdProto{Domain: "ai.onnx", Version: 13}, want{1, "ai.onnx"}, want{2, uint64(13)})
	check("StringStringEntryProto", &StringStringEntryProto{Key: "k", Value: "v"}, want{1, "k"}, want{2, "v"})
	check("GraphProto", &GraphProto{
		Node: []*NodeProto{{}}, Name: "g", Initializer: []*TensorProto{{}}, DocString: "d",
		Input: []*ValueInfoProto{{}}, Output: []*ValueInfoProto{{}}, ValueInfo: []*ValueInfoProto{{}},
	}, want{1, nil}, want{2, "g"}, want{5, nil}, want{10, "d"}, want{11, nil}, want{12, nil}, want{13, nil})
	check("NodeProto", &NodeProto{
		Input: []string{"x"}, Output: []string{"y"}, Name: "n", OpType: "Relu", Domain: "d",
		Attribute: []*AttributeProto{{}}, DocString: "doc",
	}, want{1, "x"}, want{2, "y"}, want{3, "n"}, want{4, "Relu"}, want{7, "d"}, want{5, nil}, want{6, "doc"})
	check("AttributeProto INT", &AttributeProto{Name: "axis", Type: AttributeProto_INT, I: proto.Int64(0)},
		want{1, "axis"}, want{20, uint64(2)}, want{3, uint64(0)}) // a zero value is still written
	check("AttributeProto FLOAT", &AttributeProto{Name: "alpha", Type: AttributeProto_FLOAT, F: proto.Float32(0)},
		want{1, "alpha"}, want{20, uint64(1)}, want{2, uint32(0)})
	check("AttributeProto INTS", &AttributeProto{Name: "pads", Type: AttributeProto_INTS, Ints: []int64{1}, DocString: "d"},
		want{1, "pads"}, want{20, uint64(7)}, want{8, nil}, want{13, "d"})
	check("AttributeProto FLOATS/TENSOR", &AttributeProto{Type: AttributeProto_TENSOR, Floats: []float32{1}, T: &TensorProto{}, S: []byte("s")},
		want{20, uint64(4)}, want{7, nil}, want{5, nil}, want{4, "s"})
	check("TensorProto", &TensorProto{
		Dims: []int64{2}, DataType: int32(TensorProto_FLOAT), Name: "w", RawData: []byte{1, 2, 3, 4},
		FloatData: []float32{1}, Int32Data: []int32{1}, Int64Data: []int64{1}, DoubleData: []float64{1}, DocString: "d",
	}, want{1, nil}, want{2, uint64(1)}, want{8, "w"}, want{9, "\x01\x02\x03\x04"},
		want{4, nil}, want{5, nil}, want{7, nil}, want{10, nil}, want{12, "d"})
	check("ValueInfoProto", &ValueInfoProto{Name: "x", Type: &TypeProto{}, DocString: "d"}, want{1, "x"}, want{2, nil}, want{3, "d"})
	check("TypeProto", &TypeProto{Value: &TypeProto_TensorType{TensorType: &TypeProto_Tensor{}}, Denotation: "IMAGE"}, want{1, nil}, want{6, "IMAGE"})
	check("TypeProto.Tensor", &TypeProto_Tensor{ElemType: 1, Shape: &TensorShapeProto{}}, want{1, uint64(1)}, want{2, nil})
	check("TensorShapeProto", &TensorShapeProto{Dim: []*TensorShapeProto_Dimension{{}}}, want{1, nil})
	check("Dimension value", &TensorShapeProto_Dimension{Value: &TensorShapeProto_Dimension_DimValue{DimValue: 0}, Denotation: "DATA_BATCH"},
		want{1, uint64(0)}, want{3, "DATA_BATCH"})
	check("Dimension param", &TensorShapeProto_Dimension{Value: &TensorShapeProto_Dimension_DimParam{DimParam: "N"}}, want{2, "N"})
}

// TestEnumValues pins the enum numbers rakam writes.
func TestEnumValues(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int32
	}{
		{"FLOAT", int32(TensorProto_FLOAT), 1}, {"INT64", int32(TensorProto_INT64), 7},
		{"attr FLOAT", int32(AttributeProto_FLOAT), 1}, {"attr INT", int32(AttributeProto_INT), 2},
		{"attr INTS", int32(AttributeProto_INTS), 7}, {"attr TENSOR", int32(AttributeProto_TENSOR), 4},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d; want %d", tc.name, tc.got, tc.want)
		}
	}
}
