package microcore

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// V converts a Go value to a microcore.v1.Value: nil, bool, every int and uint
// kind, float32/64, string, []byte, slices and arrays, maps with string keys,
// pointers to any of these, and *microcorev1.Value (used as is). Anything else
// fails with MC_ERR_VALUE_UNSUPPORTED rather than being guessed at.
func V(x any) (*microcorev1.Value, error) {
	return toValue(x, "value")
}

// FromValue converts back: null → nil, int_value → int64, double_value → float64,
// bytes → []byte, list → []any, map → map[string]any.
func FromValue(v *microcorev1.Value) any {
	switch k := v.GetKind().(type) {
	case *microcorev1.Value_BoolValue:
		return k.BoolValue
	case *microcorev1.Value_IntValue:
		return k.IntValue
	case *microcorev1.Value_DoubleValue:
		return k.DoubleValue
	case *microcorev1.Value_StringValue:
		return k.StringValue
	case *microcorev1.Value_BytesValue:
		// Decoding an empty blob gives nil; keep it a blob so it stays unlike null.
		if k.BytesValue == nil {
			return []byte{}
		}
		return k.BytesValue
	case *microcorev1.Value_ListValue:
		out := make([]any, len(k.ListValue.GetValues()))
		for i, item := range k.ListValue.GetValues() {
			out[i] = FromValue(item)
		}
		return out
	case *microcorev1.Value_MapValue:
		return Row(k.MapValue)
	default: // null_value, or no kind set: both read as null.
		return nil
	}
}

// Row converts a result row (or any ValueMap) to a Go map; see FromValue.
func Row(m *microcorev1.ValueMap) map[string]any {
	out := make(map[string]any, len(m.GetFields()))
	for key, v := range m.GetFields() {
		out[key] = FromValue(v)
	}
	return out
}

func toValue(x any, path string) (*microcorev1.Value, error) {
	switch t := x.(type) {
	case nil:
		return nullValue(), nil
	case *microcorev1.Value:
		if t == nil {
			return nullValue(), nil
		}
		return t, nil
	case *microcorev1.ValueMap:
		return &microcorev1.Value{Kind: &microcorev1.Value_MapValue{MapValue: t}}, nil
	case int:
		return intValue(int64(t)), nil
	case int64:
		return intValue(t), nil
	case bool:
		return &microcorev1.Value{Kind: &microcorev1.Value_BoolValue{BoolValue: t}}, nil
	case string:
		return &microcorev1.Value{Kind: &microcorev1.Value_StringValue{StringValue: t}}, nil
	case []byte:
		return &microcorev1.Value{Kind: &microcorev1.Value_BytesValue{BytesValue: t}}, nil
	case float32:
		// float64(t) would turn 0.1f into 0.10000000149011612; going through the
		// shortest decimal keeps the number the author wrote.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(t), 'g', -1, 32), 64)
		return doubleValue(f), nil
	case float64:
		return doubleValue(t), nil
	case []any:
		return listValue(len(t), func(i int) any { return t[i] }, path)
	case map[string]any:
		return mapValue(t, path)
	}
	return reflectValue(reflect.ValueOf(x), path)
}

// reflectValue covers the kinds the type switch does not name: every int width,
// named types, pointers, typed slices ([]string, []int64) and maps (map[string]string).
func reflectValue(rv reflect.Value, path string) (*microcorev1.Value, error) {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intValue(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > math.MaxInt64 {
			return nil, Errorf(CodeValueUnsupported,
				"%s is %d, above the int64 range a microcore.v1.Value holds exactly: send it as a string", path, rv.Uint())
		}
		return intValue(int64(rv.Uint())), nil
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64:
		return toValue(rv.Convert(basicType(rv.Kind())).Interface(), path)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nullValue(), nil
		}
		return toValue(rv.Elem().Interface(), path)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return toValue(rv.Bytes(), path)
		}
		return listValue(rv.Len(), func(i int) any { return rv.Index(i).Interface() }, path)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return mapValue(m, path)
		}
	}
	return nil, Errorf(CodeValueUnsupported,
		"%s has Go type %s, which a microcore.v1.Value cannot hold: pass nil, bool, an integer, a float, "+
			"string, []byte, a slice, or a map with string keys", path, typeName(rv))
}

func basicType(k reflect.Kind) reflect.Type {
	switch k {
	case reflect.Bool:
		return reflect.TypeFor[bool]()
	case reflect.String:
		return reflect.TypeFor[string]()
	case reflect.Float32:
		return reflect.TypeFor[float32]()
	default:
		return reflect.TypeFor[float64]()
	}
}

func typeName(rv reflect.Value) string {
	if !rv.IsValid() {
		return "nil"
	}
	return rv.Type().String()
}

func listValue(n int, at func(int) any, path string) (*microcorev1.Value, error) {
	items := make([]*microcorev1.Value, n)
	for i := range items {
		v, err := toValue(at(i), fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return &microcorev1.Value{Kind: &microcorev1.Value_ListValue{
		ListValue: &microcorev1.ValueList{Values: items}}}, nil
}

func mapValue(m map[string]any, path string) (*microcorev1.Value, error) {
	fields, err := valueFields(m, path)
	if err != nil {
		return nil, err
	}
	return &microcorev1.Value{Kind: &microcorev1.Value_MapValue{
		MapValue: &microcorev1.ValueMap{Fields: fields}}}, nil
}

// valueFields converts map entries; also used for log fields.
func valueFields(m map[string]any, path string) (map[string]*microcorev1.Value, error) {
	fields := make(map[string]*microcorev1.Value, len(m))
	for key, item := range m {
		v, err := toValue(item, path+"."+key)
		if err != nil {
			return nil, err
		}
		fields[key] = v
	}
	return fields, nil
}

// values converts positional SQL parameters.
func values(path string, params []any) ([]*microcorev1.Value, error) {
	out := make([]*microcorev1.Value, len(params))
	for i, p := range params {
		v, err := toValue(p, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func nullValue() *microcorev1.Value {
	return &microcorev1.Value{Kind: &microcorev1.Value_NullValue{}}
}

func intValue(i int64) *microcorev1.Value {
	return &microcorev1.Value{Kind: &microcorev1.Value_IntValue{IntValue: i}}
}

func doubleValue(f float64) *microcorev1.Value {
	return &microcorev1.Value{Kind: &microcorev1.Value_DoubleValue{DoubleValue: f}}
}
