package onnxpb

// Checks that onnx.pb.go is what onnx.proto says. TestProtoMatchesGo needs
// nothing but Go: it reads onnx.proto with a small parser of the proto3
// subset used there and compares every message, field (number, type, label)
// and enum value with the descriptor compiled into onnx.pb.go and with the
// generated Go structs' protobuf tags. TestGeneratedCodeCurrent regenerates
// onnx.pb.go with protoc and protoc-gen-go, as `go generate` would, and
// requires the same bytes; it is skipped where protoc is not installed
// (Debian: protobuf-compiler).

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// fieldLine describes a compiled field as describeProto does.
func fieldLine(fd protoreflect.FieldDescriptor) string {
	typ := fd.Kind().String()
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		typ = string(fd.Message().FullName())
	case protoreflect.EnumKind:
		typ = string(fd.Enum().FullName())
	}
	label := "singular"
	switch {
	case fd.IsList():
		label = "repeated"
	case fd.HasOptionalKeyword():
		label = "optional"
	case fd.ContainingOneof() != nil:
		label = "oneof " + string(fd.ContainingOneof().Name())
	case fd.IsMap():
		label = "map"
	}
	return fmt.Sprintf("field %s = %d %s %s", fd.FullName(), fd.Number(), typ, label)
}

// describeCompiled returns the lines describeProto would give for the
// descriptor compiled into onnx.pb.go.
func describeCompiled(fd protoreflect.FileDescriptor) []string {
	var lines []string
	enums := func(es protoreflect.EnumDescriptors) {
		for i := range es.Len() {
			e := es.Get(i)
			lines = append(lines, "enum "+string(e.FullName()))
			for j := range e.Values().Len() {
				v := e.Values().Get(j)
				lines = append(lines, fmt.Sprintf("enum value %s.%s = %d", e.FullName(), v.Name(), v.Number()))
			}
		}
	}
	var messages func(ms protoreflect.MessageDescriptors)
	messages = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			m := ms.Get(i)
			lines = append(lines, "message "+string(m.FullName()))
			for j := range m.Fields().Len() {
				lines = append(lines, fieldLine(m.Fields().Get(j)))
			}
			enums(m.Enums())
			messages(m.Messages())
		}
	}
	enums(fd.Enums())
	messages(fd.Messages())
	slices.Sort(lines)
	return lines
}

// diffLines reports the lines only in want and only in got.
func diffLines(want, got []string) (missing, extra []string) {
	for _, l := range want {
		if !slices.Contains(got, l) {
			missing = append(missing, l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			extra = append(extra, l)
		}
	}
	return missing, extra
}

// TestProtoMatchesGo: every message, field and enum value of onnx.proto is
// in the descriptor compiled into onnx.pb.go with the same number, type and
// label, and the descriptor has nothing more.
func TestProtoMatchesGo(t *testing.T) {
	src, err := os.ReadFile("onnx.proto")
	if err != nil {
		t.Fatal(err)
	}
	want, err := describeProto(string(src))
	if err != nil {
		t.Fatalf("onnx.proto: %v", err)
	}
	if len(want) < 50 {
		t.Fatalf("onnx.proto gave only %d declarations; the parser is missing some", len(want))
	}
	got := describeCompiled(File_onnx_proto)
	missing, extra := diffLines(want, got)
	for _, l := range missing {
		t.Errorf("onnx.proto declares %q; onnx.pb.go does not (run go generate ./onnx/onnxpb)", l)
	}
	for _, l := range extra {
		t.Errorf("onnx.pb.go has %q; onnx.proto does not (run go generate ./onnx/onnxpb)", l)
	}
	if string(File_onnx_proto.Package()) != "onnx" || File_onnx_proto.Syntax() != protoreflect.Proto3 {
		t.Errorf("onnx.pb.go: package %q, syntax %v; want onnx, proto3", File_onnx_proto.Package(), File_onnx_proto.Syntax())
	}
}

// protobufTag is the parsed `protobuf:"..."` tag of a generated struct field.
type protobufTag struct {
	wire, card, name string
	number           int
}

func parseProtobufTag(tag string) (protobufTag, error) {
	parts := strings.Split(tag, ",")
	if len(parts) < 4 {
		return protobufTag{}, fmt.Errorf("short protobuf tag %q", tag)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return protobufTag{}, fmt.Errorf("protobuf tag %q: field number: %v", tag, err)
	}
	pt := protobufTag{wire: parts[0], number: n, card: parts[2]}
	for _, p := range parts[3:] {
		if name, ok := strings.CutPrefix(p, "name="); ok {
			pt.name = name
		}
	}
	return pt, nil
}

// wireOf is the wire type protoc-gen-go writes in the struct tag of a field
// of kind k.
func wireOf(k protoreflect.Kind) string {
	switch k {
	case protoreflect.Sint32Kind:
		return "zigzag32"
	case protoreflect.Sint64Kind:
		return "zigzag64"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return "fixed64"
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return "bytes"
	case protoreflect.GroupKind:
		return "group"
	}
	return "varint"
}

// TestGoStructsMatchDescriptor: each generated Go struct has one tagged
// field per field of its message, with the same name, number, wire type and
// cardinality, and oneof members behind the oneof's interface field.
func TestGoStructsMatchDescriptor(t *testing.T) {
	var check func(ms protoreflect.MessageDescriptors)
	checked := 0
	check = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			md := ms.Get(i)
			check(md.Messages())
			checked += checkGoStruct(t, md)
		}
	}
	check(File_onnx_proto.Messages())
	if checked < 40 {
		t.Errorf("checked %d fields; want all of onnx.proto's", checked)
	}
}

// checkGoStruct compares the Go struct of md with md and returns the number
// of fields it checked. The protobuf runtime panics when a struct's tags
// and its descriptor disagree; that is reported as an error.
func checkGoStruct(t *testing.T, md protoreflect.MessageDescriptor) (checked int) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: the protobuf runtime cannot map the Go struct onto the descriptor: %v", md.FullName(), r)
		}
	}()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Errorf("%s: no registered Go type: %v", md.FullName(), err)
		return checked
	}
	m := mt.New()
	st := reflect.TypeOf(m.Interface()).Elem()
	tags := map[int]protobufTag{}
	oneofs := map[string]int{}
	for j := range st.NumField() {
		sf := st.Field(j)
		if tag, ok := sf.Tag.Lookup("protobuf"); ok {
			pt, err := parseProtobufTag(tag)
			if err != nil {
				t.Errorf("%s.%s: %v", st.Name(), sf.Name, err)
				continue
			}
			tags[pt.number] = pt
		}
		if name, ok := sf.Tag.Lookup("protobuf_oneof"); ok {
			oneofs[name] = j
		}
	}
	fields := md.Fields()
	for j := range fields.Len() {
		fd := fields.Get(j)
		checked++
		card := "opt"
		if fd.IsList() {
			card = "rep"
		}
		want := protobufTag{wire: wireOf(fd.Kind()), number: int(fd.Number()), card: card, name: string(fd.Name())}
		var got protobufTag
		var ok bool
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			// Set the member, then read the wrapper's tag.
			idx, found := oneofs[string(od.Name())]
			if !found {
				t.Errorf("%s: no Go field for oneof %s", st.Name(), od.Name())
				continue
			}
			m.Set(fd, m.NewField(fd))
			w := reflect.ValueOf(m.Interface()).Elem().Field(idx).Elem()
			if w.Kind() != reflect.Pointer || w.Elem().NumField() != 1 {
				t.Errorf("%s.%s: oneof wrapper %v is not a one-field struct", st.Name(), fd.Name(), w.Type())
				continue
			}
			pt, err := parseProtobufTag(w.Elem().Type().Field(0).Tag.Get("protobuf"))
			if err != nil {
				t.Errorf("%s.%s: %v", st.Name(), fd.Name(), err)
				continue
			}
			got, ok = pt, true
			m.Clear(fd)
		} else {
			got, ok = tags[int(fd.Number())]
			delete(tags, int(fd.Number()))
		}
		if !ok {
			t.Errorf("%s: no Go field tagged with number %d (%s)", st.Name(), fd.Number(), fd.Name())
		} else if got != want {
			t.Errorf("%s: Go field for %s is tagged %+v; want %+v", st.Name(), fd.Name(), got, want)
		}
	}
	for n, pt := range tags {
		t.Errorf("%s: Go field %s (number %d) is not in the message descriptor", st.Name(), pt.name, n)
	}
	return checked
}

// protocVersionLine matches the header line that records which protoc ran.
var protocVersionLine = regexp.MustCompile(`(?m)^// \tprotoc +v[0-9.]+\n`)

// TestGeneratedCodeCurrent regenerates onnx.pb.go as go:generate in doc.go
// does (protoc with protoc-gen-go at go.mod's version of
// google.golang.org/protobuf) and requires the committed file to be the
// same, apart from the line naming protoc's version.
func TestGeneratedCodeCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds protoc-gen-go in -short mode")
	}
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Skip("protoc is not installed (Debian: protobuf-compiler); TestProtoMatchesGo still compares onnx.proto with onnx.pb.go")
	}
	dir := t.TempDir()
	plugin := filepath.Join(dir, "protoc-gen-go")
	build := exec.Command("go", "build", "-o", plugin, "google.golang.org/protobuf/cmd/protoc-gen-go")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build protoc-gen-go: %v\n%s", err, out)
	}
	gen := exec.Command(protoc, "--plugin=protoc-gen-go="+plugin, "--go_out="+dir, "--go_opt=paths=source_relative", "onnx.proto")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "onnx.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("onnx.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	got = protocVersionLine.ReplaceAll(got, nil)
	want = protocVersionLine.ReplaceAll(want, nil)
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(ls []string) string {
			if i < len(ls) {
				return ls[i]
			}
			return "(end of file)"
		}
		t.Errorf("onnx.pb.go is not what protoc generates from onnx.proto (run go generate ./onnx/onnxpb); first difference at line %d:\ncommitted: %s\ngenerated: %s",
			i+1, line(wl), line(gl))
	}
}
