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
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// protoScalars are the scalar type names of proto3.
var protoScalars = map[string]bool{
	"double": true, "float": true, "int32": true, "int64": true, "uint32": true, "uint64": true,
	"sint32": true, "sint64": true, "fixed32": true, "fixed64": true, "sfixed32": true, "sfixed64": true,
	"bool": true, "string": true, "bytes": true,
}

// protoTokens splits proto source into identifiers (with dots), numbers,
// quoted strings and one-character symbols, dropping comments.
func protoTokens(src string) ([]string, error) {
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at byte %d", i)
			}
			i += end + 4
		case c == '"' || c == '\'':
			end := strings.IndexByte(src[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated string at byte %d", i)
			}
			toks = append(toks, src[i:i+end+2])
			i += end + 2
		case c == '_' || c == '.' || c == '-' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] == '.' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		default:
			toks = append(toks, string(c))
			i++
		}
	}
	return toks, nil
}

// protoParser reads the proto3 subset of onnx.proto: syntax, package,
// option, message (nested), enum, oneof, and fields with an optional
// "repeated" or "optional" label. Anything else is an error, so a construct
// added to onnx.proto that this test does not understand fails it rather
// than being skipped.
type protoParser struct {
	toks []string
	pos  int
	pkg  string
	// types maps each message and enum full name to "message" or "enum".
	types map[string]string
	// fields are the fields in declaration order, with their types as
	// written; resolve turns the type names into full names.
	fields []protoField
	// lines describe the messages, enums and enum values.
	lines []string
}

type protoField struct {
	scope, name, typ, label string
	number                  int
}

func (p *protoParser) next() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	p.pos++
	return p.toks[p.pos-1]
}

func (p *protoParser) expect(want string) error {
	if got := p.next(); got != want {
		return fmt.Errorf("token %d: got %q; want %q", p.pos, got, want)
	}
	return nil
}

func (p *protoParser) number() (int, error) {
	t := p.next()
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("token %d: got %q; want a number", p.pos, t)
	}
	return n, nil
}

// skipStatement skips up to and including the next ";".
func (p *protoParser) skipStatement() error {
	for {
		switch p.next() {
		case ";":
			return nil
		case "":
			return fmt.Errorf("missing ';' at the end")
		}
	}
}

func (p *protoParser) file() error {
	for p.pos < len(p.toks) {
		switch t := p.next(); t {
		case "syntax":
			if err := p.expect("="); err != nil {
				return err
			}
			if s := p.next(); s != `"proto3"` {
				return fmt.Errorf("syntax %s; this check reads proto3", s)
			}
			if err := p.expect(";"); err != nil {
				return err
			}
		case "package":
			p.pkg = p.next()
			if err := p.expect(";"); err != nil {
				return err
			}
		case "option":
			if err := p.skipStatement(); err != nil {
				return err
			}
		case "message":
			if err := p.message(p.pkg); err != nil {
				return err
			}
		case "enum":
			if err := p.enum(p.pkg); err != nil {
				return err
			}
		default:
			return fmt.Errorf("token %d: unexpected %q at the top level", p.pos, t)
		}
	}
	return nil
}

func (p *protoParser) message(scope string) error {
	full := scope + "." + p.next()
	p.types[full] = "message"
	p.lines = append(p.lines, "message "+full)
	if err := p.expect("{"); err != nil {
		return err
	}
	for {
		switch t := p.next(); t {
		case "}":
			return nil
		case "message":
			if err := p.message(full); err != nil {
				return err
			}
		case "enum":
			if err := p.enum(full); err != nil {
				return err
			}
		case "oneof":
			name := p.next()
			if err := p.expect("{"); err != nil {
				return err
			}
			for {
				if p.pos < len(p.toks) && p.toks[p.pos] == "}" {
					p.pos++
					break
				}
				if err := p.field(full, p.next(), "oneof "+name); err != nil {
					return err
				}
			}
		case "repeated", "optional":
			if err := p.field(full, p.next(), t); err != nil {
				return err
			}
		case "", "reserved", "extensions", "map", "option", "extend", "required", "group":
			return fmt.Errorf("token %d: %q in message %s is not read by this check; extend protoParser", p.pos, t, full)
		default:
			if err := p.field(full, t, "singular"); err != nil {
				return err
			}
		}
	}
}

// field reads "name = number;" after the type.
func (p *protoParser) field(scope, typ, label string) error {
	name := p.next()
	if err := p.expect("="); err != nil {
		return err
	}
	n, err := p.number()
	if err != nil {
		return err
	}
	if err := p.expect(";"); err != nil {
		return fmt.Errorf("field %s.%s: %v (field options are not read by this check)", scope, name, err)
	}
	p.fields = append(p.fields, protoField{scope: scope, name: name, typ: typ, label: label, number: n})
	return nil
}

func (p *protoParser) enum(scope string) error {
	full := scope + "." + p.next()
	p.types[full] = "enum"
	p.lines = append(p.lines, "enum "+full)
	if err := p.expect("{"); err != nil {
		return err
	}
	for {
		name := p.next()
		switch name {
		case "}":
			return nil
		case "", "option", "reserved":
			return fmt.Errorf("token %d: %q in enum %s is not read by this check", p.pos, name, full)
		}
		if err := p.expect("="); err != nil {
			return err
		}
		n, err := p.number()
		if err != nil {
			return err
		}
		if err := p.expect(";"); err != nil {
			return err
		}
		p.lines = append(p.lines, fmt.Sprintf("enum value %s.%s = %d", full, name, n))
	}
}

// resolve finds the full name of a type named in scope, searching from the
// innermost scope outward as protoc does.
func (p *protoParser) resolve(scope, name string) (string, error) {
	if strings.HasPrefix(name, ".") {
		if _, ok := p.types[name[1:]]; ok {
			return name[1:], nil
		}
		return "", fmt.Errorf("unknown type %s", name)
	}
	for s := scope; ; {
		if _, ok := p.types[s+"."+name]; ok {
			return s + "." + name, nil
		}
		i := strings.LastIndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[:i]
	}
	if _, ok := p.types[name]; ok {
		return name, nil
	}
	return "", fmt.Errorf("unknown type %s in %s", name, scope)
}

// describeProto returns one line per message, field, enum and enum value
// declared in the proto source.
func describeProto(src string) ([]string, error) {
	toks, err := protoTokens(src)
	if err != nil {
		return nil, err
	}
	p := &protoParser{toks: toks, types: map[string]string{}}
	if err := p.file(); err != nil {
		return nil, err
	}
	lines := slices.Clone(p.lines)
	for _, f := range p.fields {
		typ := f.typ
		if !protoScalars[typ] {
			if typ, err = p.resolve(f.scope, f.typ); err != nil {
				return nil, fmt.Errorf("field %s.%s: %v", f.scope, f.name, err)
			}
		}
		lines = append(lines, fmt.Sprintf("field %s.%s = %d %s %s", f.scope, f.name, f.number, typ, f.label))
	}
	slices.Sort(lines)
	return lines, nil
}

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
