package graph

import (
	"strings"
	"testing"
)

// Every connection with a totalCount is priced by countSelections, which
// knows them by name.
func TestEveryConnectionCountIsPriced(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	for name, typ := range schema.Types {
		if strings.HasSuffix(name, "Connection") && typ.Fields.ForName("totalCount") != nil && !connectionTypes[name] {
			t.Errorf("%s has a totalCount that is not priced (graph/cost.go connectionTypes)", name)
		}
	}
}
