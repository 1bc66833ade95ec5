package rest

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/rest/internal/pyform"
)

// Canonical paths, as the upstream router names them.
const (
	rootPath    = "/api/"
	configsPath = links.ConfigsPath
	callsPath   = links.CallsPath
	loginPath   = "/api-auth/password/"
	schemaPath  = "/api/schema/"
)

const (
	mediaJSON = "application/json"
	mediaForm = "application/x-www-form-urlencoded"
)

type route struct {
	// name is DRF's view name, which OPTIONS reports.
	name string
	// template labels the route's requests in metrics and logs.
	template string
	// allow is DRF's Allow header: the view's methods in the order of
	// Django's http_method_names.
	allow []string
	// browsable: the upstream view also had DRF's HTML renderer, which
	// Accept and ?format= can select (this service answers JSON anyway).
	browsable bool
	// parses lists the accepted body media types in DRF's parser order.
	parses []string
	// public: the view requires no authentication (a bad token is still a 401).
	public bool
	// negotiate replaces DRF's default negotiation (JSON, and HTML where
	// browsable) for a view with renderers of its own.
	negotiate func(*exchange) error
	methods   map[string]func(*handler, *exchange)
}

var (
	rootRoute = route{
		name: "Api Root", template: rootPath, allow: []string{"GET, HEAD, OPTIONS"}, browsable: true,
		parses:  []string{mediaJSON, mediaForm},
		methods: map[string]func(*handler, *exchange){http.MethodGet: (*handler).root},
	}
	configListRoute = route{
		name: "Call Assignment Configuration List", template: configsPath, allow: []string{"GET, POST, HEAD, OPTIONS"}, browsable: true,
		parses: []string{mediaJSON, mediaForm},
		methods: map[string]func(*handler, *exchange){
			http.MethodGet:  (*handler).listConfigs,
			http.MethodPost: (*handler).createConfig,
		},
	}
	configDetailRoute = route{
		name: "Call Assignment Configuration Instance", template: configsPath + "{uuid}/", allow: []string{"GET, PUT, PATCH, DELETE, HEAD, OPTIONS"}, browsable: true,
		parses: []string{mediaJSON, mediaForm},
		methods: map[string]func(*handler, *exchange){
			http.MethodGet:    (*handler).getConfig,
			http.MethodPut:    (*handler).putConfig,
			http.MethodPatch:  (*handler).patchConfig,
			http.MethodDelete: (*handler).deleteConfig,
		},
	}
	callListRoute = route{
		name: "Proposal Protected Call List", template: callsPath, allow: []string{"GET, HEAD, OPTIONS"}, browsable: true,
		parses:  []string{mediaJSON, mediaForm},
		methods: map[string]func(*handler, *exchange){http.MethodGet: (*handler).listCalls},
	}
	callDetailRoute = route{
		name: "Proposal Protected Call Instance", template: callsPath + "{uuid}/", allow: []string{"GET, HEAD, OPTIONS"}, browsable: true,
		parses:  []string{mediaJSON, mediaForm},
		methods: map[string]func(*handler, *exchange){http.MethodGet: (*handler).getCall},
	}
	// DRF's ObtainAuthToken: JSON only out, forms first in.
	loginRoute = route{
		name: "Obtain Auth Token", template: loginPath, allow: []string{"POST, OPTIONS"}, public: true,
		parses:  []string{mediaForm, mediaJSON},
		methods: map[string]func(*handler, *exchange){http.MethodPost: (*handler).login},
	}
	// drf-spectacular's SpectacularAPIView, readable without credentials.
	schemaRoute = route{
		name: "Spectacular API", template: schemaPath, allow: []string{"GET, HEAD, OPTIONS"}, public: true,
		parses:    []string{mediaJSON, mediaForm},
		negotiate: negotiateSchema,
		methods:   map[string]func(*handler, *exchange){http.MethodGet: (*handler).schema},
	}
)

// matchRoute finds the route of a path and the {uuid} segment of a detail
// route. Like DRF's router it takes any segment without "/" or "." there;
// whether it is a uuid is the view's business (a 404 after authentication).
func matchRoute(path string) (*route, string) {
	switch path {
	case rootPath:
		return &rootRoute, ""
	case configsPath:
		return &configListRoute, ""
	case callsPath:
		return &callListRoute, ""
	case loginPath:
		return &loginRoute, ""
	case schemaPath:
		return &schemaRoute, ""
	}
	if seg, ok := detailSegment(path, configsPath); ok {
		return &configDetailRoute, seg
	}
	if seg, ok := detailSegment(path, callsPath); ok {
		return &callDetailRoute, seg
	}
	return nil, ""
}

func detailSegment(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return "", false
	}
	seg, ok := strings.CutSuffix(rest, "/")
	if !ok || seg == "" || strings.ContainsAny(seg, "/.") {
		return "", false
	}
	return seg, true
}

// options answers as DRF's SimpleMetadata does, without the per-user
// "actions" description of the writable fields.
func (h *handler) options(x *exchange) {
	buf := getBuffer()
	defer putBuffer(buf)
	b := append(buf.b, `{"name":`...)
	b = appendString(b, x.route.name)
	b = append(b, `,"description":"","renders":["application/json"],"parses":[`...)
	for i, p := range x.route.parses {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p)
	}
	buf.b = append(b, "]}"...)
	h.send(x, http.StatusOK, buf.b)
}

// root is DRF's DefaultRouter API root: the list endpoints by name.
func (h *handler) root(x *exchange) {
	if !h.vouch(x) {
		return
	}
	base := h.base(x)
	buf := getBuffer()
	defer putBuffer(buf)
	b := append(buf.b, `{"call-assignment-configurations":"`...)
	b = appendStringBody(b, base)
	b = append(b, configsPath+`","proposal-protected-calls":"`...)
	b = appendStringBody(b, base)
	buf.b = append(b, callsPath+`"}`...)
	h.send(x, http.StatusOK, buf.b)
}

// pathID reads the {uuid} of a detail path. A malformed one is a 404 with
// the text of a missing object, as in DRF, whose router takes any segment.
func (h *handler) pathID(x *exchange, notFound string) (uuid.UUID, bool) {
	id, ok := pyform.ParseUUID(x.arg)
	if !ok && h.vouch(x) {
		h.fail(x, &core.Error{Kind: core.KindNotFound, Message: notFound})
	}
	return id, ok
}
