package microcore

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// roundTrip converts to a Value, through the wire encoding, and back.
func roundTrip(t *testing.T, in any) any {
	t.Helper()
	v, err := V(in)
	if err != nil {
		t.Fatalf("V(%#v): %v", in, err)
	}
	wire, err := proto.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back microcorev1.Value
	if err := proto.Unmarshal(wire, &back); err != nil {
		t.Fatal(err)
	}
	return FromValue(&back)
}

func TestValueRoundTrips(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"int64 past 2^53", int64(9007199254740993), int64(9007199254740993)},
		{"min int64", int64(math.MinInt64), int64(math.MinInt64)},
		{"int", 42, int64(42)},
		{"int8", int8(-8), int64(-8)},
		{"uint32", uint32(4000000000), int64(4000000000)},
		{"bytes", []byte{0x00, 0xff, 0x10, 0x80}, []byte{0x00, 0xff, 0x10, 0x80}},
		{"empty bytes", []byte{}, []byte{}},
		{"bool", true, true},
		{"float64", 1.5, 1.5},
		{"float32 keeps its decimal", float32(0.1), 0.1},
		{"unicode", "héllo wörld ✓ 日本語 🚀", "héllo wörld ✓ 日本語 🚀"},
		{"list", []any{int64(1), "a", nil}, []any{int64(1), "a", nil}},
		{"typed slice", []string{"a", "b"}, []any{"a", "b"}},
		{"map", map[string]any{"n": int64(9007199254740993), "b": []byte{1}, "z": nil},
			map[string]any{"n": int64(9007199254740993), "b": []byte{1}, "z": nil}},
		{"typed map", map[string]int{"a": 1}, map[string]any{"a": int64(1)}},
		{"nil pointer", (*int)(nil), nil},
		{"nil *Value", (*microcorev1.Value)(nil), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := roundTrip(t, c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestValueKinds(t *testing.T) {
	v, _ := V(int64(9007199254740993))
	if v.GetIntValue() != 9007199254740993 {
		t.Fatalf("int64 not sent as int_value: %v", v)
	}
	v, _ = V(nil)
	if _, ok := v.GetKind().(*microcorev1.Value_NullValue); !ok {
		t.Fatalf("nil not sent as null_value: %v", v)
	}
	v, _ = V([]byte{0, 255})
	if !bytes.Equal(v.GetBytesValue(), []byte{0, 255}) {
		t.Fatalf("[]byte not sent as bytes_value: %v", v)
	}
	if FromValue(&microcorev1.Value{}) != nil || FromValue(nil) != nil {
		t.Fatal("an unset kind and a nil *Value must read as nil")
	}
}

func TestValueUnsupported(t *testing.T) {
	for _, in := range []any{make(chan int), uint64(math.MaxUint64), map[int]string{1: "a"}, struct{}{}} {
		_, err := V(in)
		if CodeOf(err) != CodeValueUnsupported {
			t.Errorf("V(%T): want %s, got %v", in, CodeValueUnsupported, err)
		}
	}
	_, err := V(map[string]any{"rows": []any{1, make(chan int)}})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("value.rows[1]")) {
		t.Fatalf("error should name the path value.rows[1]: %v", err)
	}
}

func TestRow(t *testing.T) {
	n, _ := V(int64(3))
	got := Row(&microcorev1.ValueMap{Fields: map[string]*microcorev1.Value{"n": n}})
	if !reflect.DeepEqual(got, map[string]any{"n": int64(3)}) {
		t.Fatalf("got %#v", got)
	}
	if len(Row(nil)) != 0 {
		t.Fatal("Row(nil) should be empty")
	}
}
