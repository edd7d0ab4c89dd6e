from django.http import HttpResponse


def residents(request):
    return HttpResponse("jkda")
