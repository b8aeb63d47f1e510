from django.urls import path

from storedesk.portal.views import contact, pages, requests, signin

app_name = "portal"
urlpatterns = [
    path("", pages.home, name="home"),
    # Before the token routes, so a brand slug such as "signin" still reaches its form.
    path("<slug:brand_slug>/contact/", contact.contact, name="brand_contact"),
    path("signin/", signin.signin, name="signin"),
    path("signin/<str:token>/", signin.signin_confirm, name="signin_confirm"),
    path("signout/", signin.signout, name="signout"),
    path("language/", pages.language_set, name="language"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/<int:number>/", requests.request_detail, name="request_detail"),
    path("requests/<int:number>/reply/", requests.request_reply, name="request_reply"),
    path(
        "requests/<int:number>/notifications/",
        requests.request_notifications,
        name="request_notifications",
    ),
    path("attachments/<int:attachment_id>/", requests.attachment_download, name="attachment"),
    path("settings/", requests.notification_settings, name="settings"),
    path("contact/", contact.contact, name="contact"),
    path("contact/thanks/<str:token>/", contact.contact_thanks, name="contact_thanks"),
    path("status/<str:token>/", pages.status, name="status"),
]
