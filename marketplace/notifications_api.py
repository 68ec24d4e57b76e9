"""API of the signed-in user's notifications and preferences; someone else's notification is a 404."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from marketplace import inbox
from marketplace.models import Notification, NotificationPreference


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    # rendered from the stored code and parameters in the language the request negotiated (Accept-Language)
    title = serializers.CharField(source="display_title", read_only=True)
    body = serializers.CharField(source="display_body", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "verb", "title", "body", "url", "created_at", "read_at", "is_read"]


class PreferenceSerializer(serializers.ModelSerializer):
    muted_verbs = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "muted_verbs"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = inbox.notifications_for(user=self.request.user)
        if self.request.query_params.get("unread") == "1":
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        try:
            notification = inbox.notification_mark_read(user=request.user, notification_id=pk)
        except inbox.InboxError as exc:
            raise NotFound({exc.field: exc.message}) from None
        return Response({**NotificationSerializer(notification).data, "unread": inbox.unread_count(user=request.user)})

    @extend_schema(request=None, responses=inline_serializer("NotificationsMarkedRead", fields={
        "marked": serializers.IntegerField(), "unread": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": inbox.notifications_mark_all_read(user=request.user), "unread": 0})

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    @action(detail=False, methods=["get", "put"], serializer_class=PreferenceSerializer)
    def preferences(self, request):
        if request.method == "PUT":
            serializer = PreferenceSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            current = inbox.preference_for(user=request.user)  # a field left out keeps its value (a body of {} is no 500)
            try:
                preference = inbox.notification_preference_update(
                    user=request.user,
                    email_enabled=serializer.validated_data.get("email_enabled", current.email_enabled),
                    muted_verbs=serializer.validated_data.get("muted_verbs", current.muted_verbs),
                )
            except inbox.InboxError as exc:
                raise ValidationError({exc.field: [exc.message]}) from None
            return Response(PreferenceSerializer(preference).data)
        return Response(PreferenceSerializer(inbox.preference_for(user=request.user)).data)


router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
