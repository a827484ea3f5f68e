// Package k8s holds rakam's Kubernetes manifests (the YAML files beside
// this one; README.md's Deployment section says how to use them) and the
// test that checks them: every manifest decodes strictly into the
// Kubernetes API types, and the probe paths, ports, commands and flags it
// uses exist in the rakam built from this repository.
//
// It is a module of its own, so that the Kubernetes API packages its test
// needs do not become dependencies of rakam's module.
package k8s
