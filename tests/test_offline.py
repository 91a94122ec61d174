"""The installable web app: manifest, service worker, offline page and the headers the worker reads."""

from __future__ import annotations

from app.core.offline import user_key


def test_service_worker_is_served_from_the_root_and_always_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    source = response.get_data(as_text=True)
    assert 'request.method !== "GET"' in source  # writes are never answered, kept or replayed by the worker


def test_manifest_names_the_app_and_its_vendored_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["short_name"] == "客服学院" and manifest["scope"] == "/" and manifest["start_url"] == "/dashboard"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        image.close()


def test_offline_page_says_a_connection_is_needed_in_either_language_without_personal_data(client, login_as):
    login_as("trainee", name="王小明")
    page = client.get("/offline").get_data(as_text=True)
    assert "需要网络连接" in page and 'lang="zh-CN"' in page and "王小明" not in page
    english = client.get("/offline?locale=en").get_data(as_text=True)
    assert "A network connection is needed" in english and 'lang="en"' in english
    assert "<script" not in page


def test_pages_carry_the_readers_cache_key_and_only_reading_pages_may_be_kept(client, login_as, trainee):
    login_as(trainee)
    module = client.get("/courses/demo-course/first-steps")
    assert module.headers["X-Offline-User"] == user_key(trainee.id) != str(trainee.id)
    assert module.headers["X-Offline-Page"] == "1"
    for path in ("/dashboard", "/courses/demo-course", "/glossary"):
        assert client.get(path).headers.get("X-Offline-Page") == "1", path
    for path in ("/quizzes", "/roleplays/demo-card", "/account/password"):
        response = client.get(path)
        assert "X-Offline-Page" not in response.headers and response.headers["X-Offline-User"], path
    done = client.post("/courses/demo-course/first-steps/complete")
    assert "X-Offline-Page" not in done.headers


def test_signed_out_pages_name_nobody_and_people_get_different_keys(client, login_as, make_user):
    assert "X-Offline-User" not in client.get("/login").headers
    first = login_as("trainee")
    one = client.get("/dashboard").headers["X-Offline-User"]
    login_as("trainee")
    other = client.get("/dashboard").headers["X-Offline-User"]
    assert one != other and one == user_key(first.id)


def test_sign_out_clears_the_sites_caches_and_the_policy_allows_the_worker(client, login_as):
    login_as("trainee")
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    csp = response.headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp and "script-src 'self'" in csp
