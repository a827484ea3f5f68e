package serve_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/serve"
)

// A server around a model, used as an http.Handler. Bad requests get a 4xx
// with a JSON error naming the problem.
func Example() {
	model, err := nn.Build(nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 10}}}, 1)
	if err != nil {
		panic(err)
	}
	classifiers, err := serve.Replicas(model, 1)
	if err != nil {
		panic(err)
	}
	s, err := serve.New(classifiers, serve.Config{ModelName: "example"})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	zeros := strings.TrimSuffix(strings.Repeat("0,", 784), ",")
	for _, body := range []string{
		`{"pixels": [` + zeros + `]}`,
		`{"pixels": [` + zeros[2:] + `]}`,
		`{"pixels": [1.5` + zeros[1:] + `]}`,
	} {
		resp, err := http.Post(ts.URL+"/v1/predict", "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, strings.HasPrefix(string(b), `{"label":`))
			continue
		}
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(b)))
	}
	// Output:
	// 200 true
	// 400 {"error":"pixels has 783 values; want 784 (28x28, row-major)"}
	// 400 {"error":"pixels[0] = 1.5 is outside 0..1"}
}
