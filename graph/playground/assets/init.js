// Boots GraphiQL. This lives in its own file rather than an inline <script>
// so the page's Content-Security-Policy can forbid inline scripts outright
// (script-src 'self' with no nonce or 'unsafe-inline').
//
// Configuration arrives through data-* attributes on #graphiql, which the Go
// handler fills in with html/template escaping; that keeps this file static,
// so it can be content-hashed and cached forever like the vendored bundles.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  var cfg = root.dataset;

  // createFetcher hands the URL straight to fetch(); resolving it against
  // the page location makes a relative endpoint such as "/graphql" work no
  // matter where the playground is mounted or which host/port serves it.
  var endpoint = new URL(cfg.endpoint, window.location.href);
  // Subscriptions go over a WebSocket to the same endpoint
  // (graphql-transport-ws; the graphql-ws client is part of GraphiQL's
  // bundle). GraphiQL sends the Headers tab as the connection_init
  // payload, so the same {"Authorization": "Token …"} works for both.
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: socket.href,
  });

  // Replaces the "Loading…" placeholder in the same element.
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      // defaultHeaders (not headers) so a value the user persisted in a
      // previous session wins over the placeholder hint.
      defaultHeaders: cfg.defaultHeaders,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: cfg.persistHeaders === 'true',
      // Persisting puts the API key in localStorage; leave that choice to
      // the user even when the server default is off.
      showPersistHeadersSettings: true,
      // Open the headers pane so the Authorization hint is seen before the
      // first request fails for lack of it.
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
