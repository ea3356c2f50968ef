/*
 * Kudos: a "Thank with Kudos" link beside each edit on diff pages, page histories and Special:Contributions,
 * on the desktop site and the mobile site. The link opens the Kudos nomination form, filled in with the wiki,
 * the person and the edit (/nominate?wiki=&user=&link=&campaign=); nothing is sent until they confirm there.
 *
 * It only adds links: it loads nothing, from Kudos or any other host. Install it by copying this file into
 * Special:MyPage/common.js on a wiki (see Kudos' README). Optional settings, written above the copy:
 *   window.kudosBaseUrl = 'https://kudos.toolforge.org';  // another Kudos
 *   window.kudosCampaign = 'odia-photo-walk';             // nominate in this campaign (default: the wiki's community)
 * Plain ES5, so that every wiki's script checks accept it.
 */
( function () {
	'use strict';

	var LABELS = {
		en: 'Thank with Kudos',
		or: 'Kudos ରେ ଧନ୍ୟବାଦ ଦିଅନ୍ତୁ',
		he: 'תודה דרך Kudos'
	};
	var REVISION = /Special:(?:MobileDiff|Diff|PermanentLink)\/(\d+)/;

	function config( key ) {
		return window.mw && mw.config ? mw.config.get( key ) : null;
	}

	function label() {
		var language = String( config( 'wgUserLanguage' ) || 'en' );
		return LABELS[ language ] || LABELS[ language.split( '-' )[ 0 ] ] || LABELS.en;
	}

	function address( user, revid ) {
		var base = String( window.kudosBaseUrl || 'https://kudos.toolforge.org' ).replace( /\/+$/, '' );
		var query = [ 'wiki=' + encodeURIComponent( location.host ), 'user=' + encodeURIComponent( user ) ];
		if ( revid ) {
			query.push( 'link=' + encodeURIComponent( 'Special:Diff/' + revid ) );
		}
		if ( window.kudosCampaign ) {
			query.push( 'campaign=' + encodeURIComponent( window.kudosCampaign ) );
		}
		return base + '/nominate?' + query.join( '&' );
	}

	function addLink( where, user, revid ) {
		if ( !where || !user || where.querySelector( '.kudos-thank-link' ) ) {
			return;
		}
		var link = document.createElement( 'a' );
		link.className = 'kudos-thank-link';
		link.href = address( user, revid );
		link.textContent = label();
		var wrapper = document.createElement( 'span' );
		wrapper.className = 'kudos-thank';
		wrapper.appendChild( document.createTextNode( ' · ' ) );
		wrapper.appendChild( link );
		where.appendChild( wrapper );
	}

	function decoded( text ) {
		try {
			return decodeURIComponent( text );
		} catch ( malformed ) {
			return text;
		}
	}

	function userIn( element ) {
		var found = element && element.querySelector( '.mw-userlink, .mw-mf-user a, .mw-mf-user' );
		return found ? found.textContent.replace( /\s+/g, ' ' ).trim() : '';
	}

	function revisionIn( element ) {
		if ( element.getAttribute( 'data-mw-revid' ) ) {
			return element.getAttribute( 'data-mw-revid' );
		}
		var links = element.querySelectorAll( 'a[href]' );
		for ( var i = 0; i < links.length; i++ ) {
			var found = REVISION.exec( decoded( links[ i ].getAttribute( 'href' ) ) );
			if ( found ) {
				return found[ 1 ];
			}
		}
		return null;
	}

	// A diff: the newer revision's author, on the desktop site or the mobile site's Special:MobileDiff.
	function diff() {
		var revid = config( 'wgDiffNewId' ) || ( REVISION.exec( decoded( location.pathname ) ) || [] )[ 1 ];
		var desktop = document.getElementById( 'mw-diff-ntitle2' );
		var mobile = document.getElementById( 'mw-mf-userinfo' ) || document.querySelector( '.mw-mf-diff-info' );
		if ( desktop ) {
			addLink( desktop, userIn( desktop ), revid );
		} else if ( mobile && revid ) {
			addLink( mobile, userIn( mobile ), revid );
		}
	}

	// Rows of a page history or of someone's contributions, each one edit.
	function rows() {
		var relevant = config( 'wgRelevantUserName' );
		var contributions = config( 'wgCanonicalSpecialPageName' ) === 'Contributions';
		var items = document.querySelectorAll(
			'#pagehistory li, ul.mw-contributions-list li, .mw-mf-history-list li, ul.side-list li, .mw-contributions li'
		);
		for ( var i = 0; i < items.length; i++ ) {
			var revid = revisionIn( items[ i ] );
			var user = contributions && relevant ? relevant : userIn( items[ i ] );
			if ( revid ) {
				addLink( items[ i ], user, revid );
			}
		}
	}

	function run() {
		diff();
		rows();
	}

	if ( document.readyState === 'loading' ) {
		document.addEventListener( 'DOMContentLoaded', run );
	} else {
		run();
	}
}() );
