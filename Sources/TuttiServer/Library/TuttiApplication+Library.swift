import Hummingbird

extension TuttiApplication {
    /// The listener's library (issue 17): favourites, follows, history, collection, playlists,
    /// spending limit, own it now, and the artists' Atom feeds.
    static func addLibraryRoutes(_ services: AppServices, api: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        LibraryController(services: services).addRoutes(signedIn: signedIn)
        PlaylistsController(services: services).addRoutes(public: api, signedIn: signedIn)
        SpendingController(services: services).addRoutes(signedIn: signedIn)
        ArtistFeedController(services: services).addRoutes(public: api)
    }

    /// The embeddable player and oEmbed (issue 17, sharing).
    static func addSharingRoutes(_ services: AppServices, root: Router<TuttiRequestContext>, api: RouterGroup<TuttiRequestContext>) {
        EmbedController(services: services).addRoutes(root: root, api: api)
        SharedPagesController(services: services).addRoutes(root: root)
    }
}
