package microcore

import (
	"google.golang.org/grpc"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Kernel is what OnBoot receives: the identity, the manifest's config, and the
// tools the manifest's `needs` allows. A tool not in `needs` is still here; the
// kernel answers its calls with MC_ERR_CAP_DENIED.
type Kernel struct {
	// Identity is the plugin's identity, e.g. sidecar/parity-go.
	Identity string
	// ManifestConfig is the manifest's `config` object, values as text. It is
	// set before OnBoot runs.
	ManifestConfig map[string]string

	Db     *Db
	Http   *Http
	Logger *Logger
	State  *State
	Config *Config
	Bus    *Bus

	conn grpc.ClientConnInterface
}

// Conn is the connection the tools above use, for a contract service the SDK
// does not wrap, e.g. microcorev1.NewSystemClient(k.Conn()). Its calls carry the
// plugin's identity and trace like the wrapped ones, and the kernel still
// checks them against `needs`.
func (k *Kernel) Conn() grpc.ClientConnInterface {
	return k.conn
}

func newKernel(conn grpc.ClientConnInterface, identity string, handlers *handlerTable) *Kernel {
	return &Kernel{
		Identity:       identity,
		ManifestConfig: map[string]string{},
		Db:             &Db{c: microcorev1.NewDbClient(conn)},
		Http:           &Http{c: microcorev1.NewHttpClient(conn), handlers: handlers},
		Logger:         &Logger{c: microcorev1.NewLoggerClient(conn)},
		State:          &State{c: microcorev1.NewStateClient(conn)},
		Config:         &Config{c: microcorev1.NewConfigClient(conn)},
		Bus:            &Bus{c: microcorev1.NewBusClient(conn), handlers: handlers},
		conn:           conn,
	}
}
