from django.apps import AppConfig


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = "Acteurs de l'ESS"
