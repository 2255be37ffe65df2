package microcore

import (
	"os"
	"testing"
)

// envRunAsSidecar makes the test binary run testPlugin through Serve instead of
// running tests: subprocess_test.go starts it that way, as the kernel would.
const envRunAsSidecar = "MICROCORE_SDK_TEST_RUN_AS_SIDECAR"

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsSidecar) == "1" {
		Serve(testPlugin{})
	}
	os.Exit(m.Run())
}
